// The parts of `apiextensions.k8s.io/v1` the compiler reads.
import type { PrinterColumn } from '../resource-type.js';

// The schema and rule shapes live with the rule evaluator, which the converter shares.
export type { JSONSchemaProps, ValidationRule } from '../../crd/validation-rules.js';
import type { JSONSchemaProps } from '../../crd/validation-rules.js';

export interface CrdVersion {
  name: string;
  served?: boolean;
  storage?: boolean;
  schema?: { openAPIV3Schema?: JSONSchemaProps };
  subresources?: { status?: object; scale?: object };
  additionalPrinterColumns?: PrinterColumn[];
}

export interface CrdNames {
  kind?: string;
  listKind?: string;
  plural?: string;
  singular?: string;
  shortNames?: string[];
  categories?: string[];
}

export interface CrdSpec {
  group?: string;
  scope?: string;
  names?: CrdNames;
  versions?: CrdVersion[];
}

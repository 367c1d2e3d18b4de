// What the dev cluster knows about one served resource (one group/version/plural).
// Built-in kinds are declared in code; CRDs are compiled into the same shape, so
// routing, discovery, OpenAPI and Table printing treat both alike.
import type { NameRule } from './validation/name-rules.js';

/** One field error, reported as a cause in a Kubernetes `Invalid` (422) Status. */
export interface FieldError {
  /** Field path as the API server prints it, e.g. `spec.provider` or `data`. */
  field: string;
  /** Kubernetes cause type, e.g. `FieldValueInvalid`, `FieldValueRequired`, `FieldValueForbidden`. */
  type: string;
  message: string;
}

/** A column of `kubectl get`, in CRD `additionalPrinterColumns` form. */
export interface PrinterColumn {
  name: string;
  type: string;
  jsonPath: string;
  description?: string;
  priority?: number;
  format?: string;
}

export type KubeObject = {
  apiVersion?: string;
  kind?: string;
  metadata?: Record<string, unknown> & { name?: string; namespace?: string };
  [key: string]: unknown;
};

export interface ResourceType {
  /** '' for the core group. */
  group: string;
  version: string;
  kind: string;
  listKind: string;
  plural: string;
  singular: string;
  namespaced: boolean;
  shortNames: string[];
  categories: string[];
  verbs: string[];
  /** Subresources served besides the main resource, e.g. `status`, `token` (serviceaccounts). */
  subresources: string[];
  /**
   * Validates a create (old undefined) or an update, after defaults are applied, and returns every
   * field error in the API server's order, given those of the object's metadata (which most kinds
   * report first). Without it, the metadata errors are all.
   */
  validate?(obj: KubeObject, old: KubeObject | undefined, metaErrors: FieldError[]): FieldError[];
  /** Throws a 400 for a body the API server could not even decode into this kind (bad base64 in a Secret). */
  checkEncoding?(obj: KubeObject): void;
  /** How metadata.name is checked (default: a DNS subdomain). */
  nameRule?: NameRule;
  /** False for kinds without metadata.generation (Secrets, ConfigMaps, Namespaces…); CRDs' objects have one. */
  generation?: boolean;
  /** A kind of Kubernetes itself (its metadata checks include the core finalizer-name rule). */
  builtin?: boolean;
  /** Applies schema defaults in place (CRD `default`). */
  applyDefaults?(obj: KubeObject): void;
  /** Columns for server-side `kubectl get` Tables; Name (and Age) are always added. */
  printerColumns: PrinterColumn[];
  /** OpenAPI v3 schema of the object, when known (CRDs; minimal for built-ins). */
  schema?: Record<string, unknown>;
}

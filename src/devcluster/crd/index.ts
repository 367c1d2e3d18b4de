// CustomResourceDefinition → ResourceType compiler.
export { compileCrd } from './compile-crd.js';
export { validateCrd } from './validate-crd.js';
export { structuralToAjv } from './structural-to-ajv.js';
export type { CrdSpec, CrdVersion, JSONSchemaProps, ValidationRule } from './schema-types.js';

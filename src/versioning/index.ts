export * from './labels.js';
export * from './content-hash.js';
export * from './versioned-secret.js';
export * from './retention.js';

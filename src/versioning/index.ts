export * from './labels.js';
export * from './content-hash.js';
export * from './versioned-secret.js';
export * from './retention.js';
export * from './version-key.js';
export * from './version-ownership.js';
export * from './secret-limits.js';

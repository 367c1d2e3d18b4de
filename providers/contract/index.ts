// The provider contract: the only module a provider may import besides its SDK.
export * from './errors.js';
export * from './scrub.js';
export * from './remote-secret.js';
export * from './provider.js';
export * from './ca-bundle.js';

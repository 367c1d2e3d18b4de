// Label and annotation keys keyferry puts on the Secrets it writes (DESIGN §2).
export const LABEL_EXTERNAL_SECRET = 'keyferry.io/external-secret';
export const LABEL_TARGET = 'keyferry.io/target';
/** Marks a Secret as written by keyferry; the managed-Secret informer selects on it. */
export const LABEL_MANAGED = 'keyferry.io/managed';
export const ANNOTATION_CONTENT_HASH = 'keyferry.io/content-hash';
/** JSON map of remote key → version id used for this version (ids only, never values). */
export const ANNOTATION_REMOTE_VERSIONS = 'keyferry.io/remote-versions';

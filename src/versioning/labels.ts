// Label and annotation keys keyferry puts on the Secrets it writes (DESIGN §2); defined with the API.
export { LABEL_EXTERNAL_SECRET, LABEL_TARGET, LABEL_MANAGED, ANNOTATION_CONTENT_HASH, ANNOTATION_REMOTE_VERSIONS, ANNOTATION_FORCE_SYNC } from '../api/constants.js';

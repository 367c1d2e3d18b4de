// OpenAPI documents of the dev cluster, built from the served ResourceTypes.
export { openapiV3GroupVersionDoc, openapiV3IndexDoc, groupVersionKey } from './openapi-v3.js';
export { openapiV2Doc } from './openapi-v2.js';
export { definitionName, OBJECT_META } from './definition-name.js';
export { encodeOpenApiV2, OPENAPI_V2_PROTOBUF, OPENAPI_V2_PROTOBUF_CONTENT_TYPE } from './openapi-v2-protobuf.js';

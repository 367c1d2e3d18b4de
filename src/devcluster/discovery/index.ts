// Discovery documents of the dev cluster (legacy and aggregated), built from the served ResourceTypes.
export { discoveryResponse, aggregatedVersionAccepted, type DiscoveryResponse } from './discovery-response.js';
export { aggregatedDiscoveryDoc, type AggregatedVersion } from './aggregated.js';
export { apiGroupDoc, apiGroupListDoc, apiResourceListDoc, apiVersionsDoc } from './legacy.js';
export { compareVersions } from './version-priority.js';

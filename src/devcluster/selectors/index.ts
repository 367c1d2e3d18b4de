// Label and field selectors of list, watch and deletecollection requests.
export { both, matchAll, type Matcher } from './matcher.js';
export { parseLabelSelector } from './label-selector.js';
export { parseFieldSelector, type SelectableResource } from './field-selector.js';

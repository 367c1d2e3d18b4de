// The REST operations of one served type, as kube-apiserver publishes them in OpenAPI: list,
// create and deletecollection on the collection; get, replace, delete and patch on an item; the
// status (and scale) subresource; the cluster-wide list of a namespaced kind; the legacy watch
// paths of built-in kinds; TokenRequest on ServiceAccounts. Operation ids and actions follow the
// API server's naming (`readKeyferryIoV1alpha1NamespacedExternalSecret`), so clients generated
// from the document, or that look operations up by id or by GVK and action, find them.
import { definitionName, hasStructuralSchema } from './definition-name.js';
import type { ResourceType } from '../resource-type.js';

export type HttpMethod = 'get' | 'put' | 'post' | 'delete' | 'patch';

export interface Parameter {
  name: string;
  in: 'query' | 'path';
  type: 'string' | 'boolean' | 'integer';
  required?: boolean;
  description: string;
}

export interface Operation {
  method: HttpMethod;
  operationId: string;
  description: string;
  action: string;
  parameters: Parameter[];
  /** Request body media types (none for reads). */
  consumes: string[];
  /** What the body is: the kind itself, a patch, DeleteOptions, or another kind (TokenRequest). */
  body?: 'object' | 'patch' | 'deleteOptions' | { group: string; version: string; kind: string };
  /** What a success returns: the object, its list, a Status, a watch event, or another kind. */
  response: 'object' | 'list' | 'status' | 'watch' | { group: string; version: string; kind: string };
  responseCodes: string[];
  /** The GVK of the operation (for TokenRequest, the TokenRequest kind). */
  gvk: { group: string; version: string; kind: string };
}

export interface PathOperations {
  path: string;
  /** Path-level parameters (name, namespace, pretty). */
  parameters: Parameter[];
  operations: Operation[];
}

const q = (name: string, type: Parameter['type'], description: string): Parameter => ({ name, in: 'query', type, description });
const PRETTY = q('pretty', 'string', "If 'true', then the output is pretty printed.");
const DRY_RUN = q('dryRun', 'string', 'When present, indicates that modifications should not be persisted. Valid values are: - All: all dry run stages will be processed');
const FIELD_MANAGER = q('fieldManager', 'string', 'fieldManager is a name associated with the actor or entity that is making these changes. It is required for apply requests (application/apply-patch).');
const FIELD_VALIDATION = q('fieldValidation', 'string', 'fieldValidation instructs the server on how to handle objects in the request (POST/PUT/PATCH) containing unknown or duplicate fields: Ignore, Warn or Strict.');
const FORCE = q('force', 'boolean', 'Force is going to "force" Apply requests: the applier re-acquires conflicting fields owned by other managers.');
const LIST_PARAMS: Parameter[] = [
  q('allowWatchBookmarks', 'boolean', 'allowWatchBookmarks requests watch events with type "BOOKMARK".'),
  q('continue', 'string', 'The continue option should be set when retrieving more results from the server.'),
  q('fieldSelector', 'string', 'A selector to restrict the list of returned objects by their fields.'),
  q('labelSelector', 'string', 'A selector to restrict the list of returned objects by their labels.'),
  q('limit', 'integer', 'limit is a maximum number of responses to return for a list call.'),
  q('resourceVersion', 'string', 'resourceVersion sets a constraint on what resource versions a request may be served from.'),
  q('resourceVersionMatch', 'string', 'resourceVersionMatch determines how resourceVersion is applied to list calls.'),
  q('sendInitialEvents', 'boolean', 'sendInitialEvents=true may be set together with watch=true.'),
  q('timeoutSeconds', 'integer', 'Timeout for the list/watch call.'),
  q('watch', 'boolean', 'Watch for changes to the described resources and return them as a stream of add, update, and remove notifications.'),
];
const DELETE_PARAMS: Parameter[] = [
  DRY_RUN,
  q('gracePeriodSeconds', 'integer', 'The duration in seconds before the object should be deleted.'),
  q('orphanDependents', 'boolean', 'Deprecated: please use the PropagationPolicy.'),
  q('propagationPolicy', 'string', "Whether and how garbage collection will be performed: 'Orphan', 'Background' or 'Foreground'."),
];
const JSON_YAML = ['application/json', 'application/yaml'];

/** `CoreV1`, `AppsV1`, `RbacAuthorizationV1`, `KeyferryIoV1alpha1`. */
export function groupVersionName(group: string, version: string): string {
  const g = group === '' ? 'core' : group.replace(/\.k8s\.io$/, '');
  const camel = g.split(/[.-]/).map((p) => p.charAt(0).toUpperCase() + p.slice(1)).join('');
  return `${camel}${version.charAt(0).toUpperCase()}${version.slice(1)}`;
}

/** Whether the API server publishes the deprecated `/watch/` paths (built-in kinds only). */
const legacyWatchPaths = (t: ResourceType): boolean => t.builtin === true;

export function pathsOf(t: ResourceType): PathOperations[] {
  const gv = groupVersionName(t.group, t.version);
  const prefix = t.group ? `/apis/${t.group}/${t.version}` : `/api/${t.version}`;
  const scope = t.namespaced ? 'Namespaced' : '';
  const nsSegment = t.namespaced ? '/namespaces/{namespace}' : '';
  const gvk = { group: t.group, version: t.version, kind: t.kind };
  const has = (verb: string) => t.verbs.includes(verb);
  const nameParam: Parameter = { name: 'name', in: 'path', type: 'string', required: true, description: `name of the ${t.kind}` };
  const nsParam: Parameter = { name: 'namespace', in: 'path', type: 'string', required: true, description: 'object name and auth scope, such as for teams and projects' };
  const base = (params: Parameter[]) => [...params, ...(t.namespaced ? [nsParam] : []), PRETTY];
  const patchTypes = t.builtin
    ? ['application/json-patch+json', 'application/merge-patch+json', 'application/strategic-merge-patch+json', 'application/apply-patch+yaml']
    : ['application/json-patch+json', 'application/merge-patch+json', 'application/apply-patch+yaml'];
  const op = (method: HttpMethod, verb: string, suffix: string, action: string, rest: Partial<Operation>): Operation => ({
    method, operationId: `${verb}${gv}${suffix}`, description: `${action} ${t.kind}`, action, parameters: [], consumes: [],
    response: 'object', responseCodes: ['200', '401'], gvk, ...rest,
  });
  const out: PathOperations[] = [];

  const collection: Operation[] = [];
  if (has('list')) collection.push(op('get', 'list', `${scope}${t.kind}`, 'list', { parameters: LIST_PARAMS, response: 'list' }));
  if (has('create')) {
    collection.push(op('post', 'create', `${scope}${t.kind}`, 'post', {
      parameters: [DRY_RUN, FIELD_MANAGER, FIELD_VALIDATION], consumes: JSON_YAML, body: 'object', responseCodes: ['200', '201', '202', '401'],
    }));
  }
  if (has('deletecollection')) {
    collection.push(op('delete', 'delete', `Collection${scope}${t.kind}`, 'deletecollection', {
      parameters: [...LIST_PARAMS.filter((p) => p.name !== 'watch' && p.name !== 'allowWatchBookmarks'), ...DELETE_PARAMS], consumes: JSON_YAML, body: 'deleteOptions', response: 'status',
    }));
  }
  if (collection.length) out.push({ path: `${prefix}${nsSegment}/${t.plural}`, parameters: base([]), operations: collection });

  const item: Operation[] = [];
  if (has('get')) item.push(op('get', 'read', `${scope}${t.kind}`, 'get', {}));
  if (has('update')) {
    item.push(op('put', 'replace', `${scope}${t.kind}`, 'put', {
      parameters: [DRY_RUN, FIELD_MANAGER, FIELD_VALIDATION], consumes: JSON_YAML, body: 'object', responseCodes: ['200', '201', '401'],
    }));
  }
  if (has('delete')) {
    item.push(op('delete', 'delete', `${scope}${t.kind}`, 'delete', {
      parameters: DELETE_PARAMS, consumes: JSON_YAML, body: 'deleteOptions', response: 'status', responseCodes: ['200', '202', '401'],
    }));
  }
  if (has('patch')) {
    item.push(op('patch', 'patch', `${scope}${t.kind}`, 'patch', {
      parameters: [DRY_RUN, FIELD_MANAGER, FIELD_VALIDATION, FORCE], consumes: patchTypes, body: 'patch', responseCodes: ['200', '201', '401'],
    }));
  }
  if (item.length) out.push({ path: `${prefix}${nsSegment}/${t.plural}/{name}`, parameters: base([nameParam]), operations: item });

  for (const sub of t.subresources) {
    const suffix = `${scope}${t.kind}${sub.charAt(0).toUpperCase()}${sub.slice(1)}`;
    const ops: Operation[] = [];
    if (sub === 'status') {
      ops.push(
        op('get', 'read', suffix, 'get', {}),
        op('put', 'replace', suffix, 'put', { parameters: [DRY_RUN, FIELD_MANAGER, FIELD_VALIDATION], consumes: JSON_YAML, body: 'object', responseCodes: ['200', '201', '401'] }),
        op('patch', 'patch', suffix, 'patch', { parameters: [DRY_RUN, FIELD_MANAGER, FIELD_VALIDATION, FORCE], consumes: patchTypes, body: 'patch', responseCodes: ['200', '201', '401'] }),
      );
    } else if (sub === 'token') {
      const tokenRequest = { group: 'authentication.k8s.io', version: 'v1', kind: 'TokenRequest' };
      ops.push(op('post', 'create', suffix, 'post', {
        parameters: [DRY_RUN, FIELD_MANAGER, FIELD_VALIDATION], consumes: JSON_YAML, body: tokenRequest, response: tokenRequest,
        responseCodes: ['200', '201', '202', '401'], gvk: tokenRequest,
      }));
    } else {
      continue;
    }
    out.push({ path: `${prefix}${nsSegment}/${t.plural}/{name}/${sub}`, parameters: base([nameParam]), operations: ops });
  }

  if (t.namespaced && has('list')) {
    out.push({ path: `${prefix}/${t.plural}`, parameters: [...LIST_PARAMS, PRETTY], operations: [op('get', 'list', `${t.kind}ForAllNamespaces`, 'list', { response: 'list' })] });
  }
  if (legacyWatchPaths(t) && has('watch')) {
    const watch = (path: string, suffix: string, action: string, params: Parameter[]) =>
      out.push({ path, parameters: [...LIST_PARAMS, ...params, PRETTY], operations: [op('get', 'watch', suffix, action, { response: 'watch' })] });
    watch(`${prefix}/watch${nsSegment}/${t.plural}`, `${scope}${t.kind}List`, 'watchlist', t.namespaced ? [nsParam] : []);
    watch(`${prefix}/watch${nsSegment}/${t.plural}/{name}`, `${scope}${t.kind}`, 'watch', [nameParam, ...(t.namespaced ? [nsParam] : [])]);
    if (t.namespaced) watch(`${prefix}/watch/${t.plural}`, `${t.kind}ListForAllNamespaces`, 'watchlist', []);
  }
  return out;
}

/** Tag of the operations of a group-version: `core_v1`, `keyferryIo_v1alpha1`. */
export function tagOf(group: string, version: string): string {
  const name = groupVersionName(group, version);
  const g = name.slice(0, name.length - version.length);
  return `${g.charAt(0).toLowerCase()}${g.slice(1)}_${version}`;
}

/** The definition an operation's object refers to, when the dev cluster has a schema for it. */
export function objectDefinition(t: ResourceType): string | undefined {
  return hasStructuralSchema(t) ? definitionName(t) : undefined;
}

// The meta.k8s.io/v1 schemas that operations refer to besides the objects themselves: ListMeta,
// Status, WatchEvent, DeleteOptions and Patch (ObjectMeta is in object-meta-schema.ts). Trimmed to
// their fields; enough for clients generated from the document to (de)serialise them.

export const META = 'io.k8s.apimachinery.pkg.apis.meta.v1';
export const LIST_META = `${META}.ListMeta`;
export const STATUS = `${META}.Status`;
export const WATCH_EVENT = `${META}.WatchEvent`;
export const DELETE_OPTIONS = `${META}.DeleteOptions`;
export const PATCH = `${META}.Patch`;

const str = (description: string) => ({ type: 'string', description });
const int = (description: string) => ({ type: 'integer', format: 'int64', description });

/** The schemas by definition name; `ref` turns a name into a reference for the document's flavour. */
export function metaSchemas(ref: (name: string) => string): Record<string, object> {
  return {
    [LIST_META]: {
      type: 'object', description: 'ListMeta describes metadata that synthetic resources must have.',
      properties: {
        resourceVersion: str('The version of the list.'), continue: str('Set when more items are available.'),
        remainingItemCount: int('Items left after this page.'), selfLink: str('Deprecated.'),
      },
    },
    [STATUS]: {
      type: 'object', description: 'Status is a return value for calls that do not return other objects.',
      properties: {
        apiVersion: str('APIVersion of this representation.'), kind: str('Kind of this representation.'),
        metadata: { $ref: ref(LIST_META) }, status: str('Success or Failure.'), message: str('A description of the status.'),
        reason: str('A machine-readable description of why the operation failed.'), code: { type: 'integer', format: 'int32', description: 'Suggested HTTP return code.' },
        details: {
          type: 'object', description: 'Extended data associated with the reason.',
          properties: {
            name: str('Name of the resource.'), group: str('Group of the resource.'), kind: str('Kind of the resource.'), uid: str('UID of the resource.'),
            retryAfterSeconds: { type: 'integer', format: 'int32', description: 'Seconds to wait before retrying.' },
            causes: {
              type: 'array', description: 'The causes of the error.',
              items: { type: 'object', properties: { reason: str('Cause type.'), message: str('Cause description.'), field: str('The field that caused it.') } },
            },
          },
        },
      },
    },
    [WATCH_EVENT]: {
      type: 'object', required: ['type', 'object'], description: 'Event represents a single event to a watched resource.',
      properties: { type: str('ADDED, MODIFIED, DELETED, BOOKMARK or ERROR.'), object: { type: 'object', description: 'The object.', 'x-kubernetes-preserve-unknown-fields': true } },
    },
    [DELETE_OPTIONS]: {
      type: 'object', description: 'DeleteOptions may be provided when deleting an API object.',
      properties: {
        apiVersion: str('APIVersion of this representation.'), kind: str('Kind of this representation.'),
        dryRun: { type: 'array', items: { type: 'string' }, description: 'All: modifications are not persisted.' },
        gracePeriodSeconds: int('The duration in seconds before the object should be deleted.'),
        orphanDependents: { type: 'boolean', description: 'Deprecated: please use the PropagationPolicy.' },
        propagationPolicy: str('Orphan, Background or Foreground.'),
        preconditions: { type: 'object', description: 'Must be fulfilled before a deletion is carried out.', properties: { resourceVersion: str('The target resourceVersion.'), uid: str('The target UID.') } },
      },
    },
    [PATCH]: { type: 'object', description: 'Patch is provided to give a concrete name and type to the Kubernetes PATCH request body.' },
  };
}

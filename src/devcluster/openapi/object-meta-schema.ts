// A minimal ObjectMeta schema: enough for `kubectl explain <kind>.metadata` and field validation
// of the common fields. The real one is much larger; the dev cluster validates metadata itself.

const str = (description: string) => ({ type: 'string', description });
const map = (description: string) => ({ type: 'object', additionalProperties: { type: 'string', default: '' }, description });

export function objectMetaSchema(): Record<string, unknown> {
  return {
    type: 'object',
    description: 'ObjectMeta is metadata that all persisted resources must have, which includes all objects users must create.',
    properties: {
      name: str('Name must be unique within a namespace.'),
      generateName: str('Prefix the server uses to generate a unique name when none is given.'),
      namespace: str('Namespace defines the space within which each name must be unique.'),
      uid: str('UID is the unique in time and space value for this object.'),
      resourceVersion: str('An opaque value that represents the internal version of this object.'),
      generation: { type: 'integer', format: 'int64', description: 'A sequence number representing a specific generation of the desired state.' },
      creationTimestamp: { type: 'string', format: 'date-time', description: 'CreationTimestamp is a timestamp representing the server time when this object was created.' },
      deletionTimestamp: { type: 'string', format: 'date-time', description: 'The time at which this resource will be deleted.' },
      labels: map('Map of string keys and values that can be used to organize and categorize objects.'),
      annotations: map('Annotations is an unstructured key value map stored with a resource.'),
      finalizers: { type: 'array', items: { type: 'string', default: '' }, description: 'Must be empty before the object is deleted from the registry.', 'x-kubernetes-list-type': 'set' },
      ownerReferences: {
        type: 'array',
        description: 'List of objects depended by this object.',
        items: {
          type: 'object',
          required: ['apiVersion', 'kind', 'name', 'uid'],
          properties: {
            apiVersion: str('API version of the referent.'), kind: str('Kind of the referent.'), name: str('Name of the referent.'), uid: str('UID of the referent.'),
            controller: { type: 'boolean', description: 'If true, this reference points to the managing controller.' },
            blockOwnerDeletion: { type: 'boolean', description: 'If true, the owner cannot be deleted from the key-value store until this reference is removed.' },
          },
        },
        'x-kubernetes-list-map-keys': ['uid'], 'x-kubernetes-list-type': 'map',
      },
      managedFields: { type: 'array', items: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true }, description: 'Field ownership of server-side apply.' },
    },
  };
}

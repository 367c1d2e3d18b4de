// Who owns a field through server-side apply, read from an object's managedFields. A field that
// a GitOps tool (Flux's kustomize-controller, Helm 4, kubectl apply --server-side) applies is
// left to it: patching it would make keyferry a co-owner and the next apply would undo it.

export interface ManagedFieldsEntry {
  manager?: string;
  operation?: string;
  subresource?: string;
  fieldsV1?: unknown;
}

const isEmpty = (node: unknown): boolean => typeof node === 'object' && node !== null && Object.keys(node).length === 0;

/** Whether `fieldsV1` covers `path`: the field itself, or an atomic ancestor (a leaf `{}` above it). */
function covers(fieldsV1: unknown, path: readonly string[]): boolean {
  let node = fieldsV1;
  for (const [i, key] of path.entries()) {
    if (typeof node !== 'object' || node === null) return false;
    const child = (node as Record<string, unknown>)[key];
    if (child === undefined) return false;
    if (isEmpty(child) && i < path.length - 1) return true;
    node = child;
  }
  return true;
}

/** Managers that own the field at `path` (fieldsV1 keys from the object's root) with operation Apply. */
export function applyOwners(managedFields: readonly ManagedFieldsEntry[] | undefined, path: readonly string[]): string[] {
  const owners = (managedFields ?? [])
    .filter((e) => e.operation === 'Apply' && !e.subresource && covers(e.fieldsV1, path))
    .map((e) => e.manager ?? '(unnamed)');
  return [...new Set(owners)];
}

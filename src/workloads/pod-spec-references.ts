// Where a pod spec names a Secret (DESIGN §2): env secretKeyRef, envFrom secretRef, secret and
// projected volumes (and the volume sources that take a credentials Secret), imagePullSecrets,
// in containers, init containers and ephemeral containers. Pure.

/** The parts of a PodSpec that can name a Secret; everything else is ignored. */
export interface PodSpecLike {
  containers?: ContainerLike[];
  initContainers?: ContainerLike[];
  ephemeralContainers?: ContainerLike[];
  volumes?: Array<Record<string, unknown> & { name?: string }>;
  imagePullSecrets?: Array<{ name?: string }>;
}

interface ContainerLike {
  name?: string;
  env?: Array<{ name?: string; valueFrom?: { secretKeyRef?: { name?: string } } }>;
  envFrom?: Array<{ secretRef?: { name?: string } }>;
}

export interface SecretReference {
  /** The Secret name. */
  name: string;
  /** JSON pointer to the field holding the name, relative to the pod spec. */
  pointer: string;
  /**
   * Server-side apply path (managedFields `fieldsV1` keys) of the field, or of the atomic list
   * that holds it, relative to the pod spec: whoever owns it owns the reference.
   */
  fieldPath: string[];
}

const CONTAINER_LISTS = ['containers', 'initContainers', 'ephemeralContainers'] as const;

/** Volume sources whose credentials Secret is named at `<source>.<field>.name` or `<source>.<field>`. */
const VOLUME_SECRET_FIELDS: ReadonlyArray<readonly [source: string, path: readonly string[]]> = [
  ['secret', ['secretName']],
  ['azureFile', ['secretName']],
  ['csi', ['nodePublishSecretRef', 'name']],
  ['cephfs', ['secretRef', 'name']],
  ['cinder', ['secretRef', 'name']],
  ['flexVolume', ['secretRef', 'name']],
  ['iscsi', ['secretRef', 'name']],
  ['rbd', ['secretRef', 'name']],
  ['scaleIO', ['secretRef', 'name']],
  ['storageos', ['secretRef', 'name']],
];

/** A map-list element's key in `fieldsV1`, e.g. `k:{"name":"app"}`. */
const keyed = (name: string): string => `k:${JSON.stringify({ name })}`;
const escape = (token: string): string => token.replace(/~/g, '~0').replace(/\//g, '~1');

function at(obj: unknown, path: readonly string[]): unknown {
  let cur = obj;
  for (const k of path) cur = cur && typeof cur === 'object' ? (cur as Record<string, unknown>)[k] : undefined;
  return cur;
}

/** Every reference to a Secret in a pod spec, in document order. */
export function secretReferences(spec: PodSpecLike | undefined): SecretReference[] {
  if (!spec || typeof spec !== 'object') return [];
  const out: SecretReference[] = [];
  const add = (name: unknown, pointer: string, fieldPath: string[]) => {
    if (typeof name === 'string' && name !== '') out.push({ name, pointer, fieldPath });
  };
  for (const list of CONTAINER_LISTS) {
    (spec[list] ?? []).forEach((c, ci) => {
      const container = [`f:${list}`, keyed(c?.name ?? '')];
      (c?.env ?? []).forEach((e, ei) => add(e?.valueFrom?.secretKeyRef?.name, `/${list}/${ci}/env/${ei}/valueFrom/secretKeyRef/name`,
        [...container, 'f:env', keyed(e?.name ?? ''), 'f:valueFrom', 'f:secretKeyRef', 'f:name']));
      // envFrom is an atomic list: its owner owns every element.
      (c?.envFrom ?? []).forEach((e, ei) => add(e?.secretRef?.name, `/${list}/${ci}/envFrom/${ei}/secretRef/name`, [...container, 'f:envFrom']));
    });
  }
  (spec.volumes ?? []).forEach((v, vi) => {
    const volume = ['f:volumes', keyed(v?.name ?? '')];
    for (const [source, path] of VOLUME_SECRET_FIELDS) {
      add(at(v?.[source], path), `/volumes/${vi}/${source}/${path.map(escape).join('/')}`, [...volume, `f:${source}`, ...path.map((p) => `f:${p}`)]);
    }
    // Projected sources are an atomic list too.
    const sources = at(v, ['projected', 'sources']);
    if (Array.isArray(sources)) {
      sources.forEach((s, si) => add(at(s, ['secret', 'name']), `/volumes/${vi}/projected/sources/${si}/secret/name`, [...volume, 'f:projected', 'f:sources']));
    }
  });
  (spec.imagePullSecrets ?? []).forEach((s, i) => add(s?.name, `/imagePullSecrets/${i}/name`, ['f:imagePullSecrets', keyed(s?.name ?? '')]));
  return out;
}

/** The distinct Secret names a pod spec references, sorted. */
export function referencedSecretNames(spec: PodSpecLike | undefined): string[] {
  return [...new Set(secretReferences(spec).map((r) => r.name))].sort();
}

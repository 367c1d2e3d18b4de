// The Helm chart and the kustomize base install the same objects for the same settings, so
// the two never drift: defaults against manifests/, monitoring on against manifests/ plus
// manifests/monitoring, alias mode against manifests/ plus manifests/optional/alias-mode.
// What may differ: Helm's own labels (chart, instance, version, managed-by); the Namespace,
// which Helm leaves to --create-namespace; and the CRDs' labels (Helm installs crds/ as is).
import assert from 'node:assert/strict';
import { isDeepStrictEqual } from 'node:util';
import { helmTemplate, kustomize, objectKey, type Obj } from './render.js';

const HELM_LABELS = ['helm.sh/chart', 'app.kubernetes.io/managed-by', 'app.kubernetes.io/instance', 'app.kubernetes.io/version'];

function comparable(o: Obj): Obj {
  const copy = structuredClone(o);
  for (const label of HELM_LABELS) delete copy.metadata.labels?.[label];
  if (copy.kind === 'CustomResourceDefinition') delete copy.metadata.labels;
  return copy;
}

async function assertSameObjects(dirs: string[], values: Record<string, unknown>): Promise<void> {
  const fromKustomize = (await Promise.all(dirs.map((d) => kustomize(d)))).flat().filter((o) => o.kind !== 'Namespace').map(comparable);
  const fromHelm = (await helmTemplate(values)).map(comparable);
  const k = new Map(fromKustomize.map((o) => [objectKey(o), o]));
  const h = new Map(fromHelm.map((o) => [objectKey(o), o]));
  assert.deepEqual([...h.keys()].sort(), [...k.keys()].sort(), 'the same objects');
  for (const [key, obj] of k) {
    if (!isDeepStrictEqual(h.get(key), obj)) assert.deepEqual(h.get(key), obj, `${key} differs between the chart and kustomize`);
  }
}

describe('Helm chart and kustomize parity', function () {
  this.timeout(60_000);

  it('defaults render the kustomize base', () => assertSameObjects(['manifests/'], {}));

  it('ServiceMonitor and PrometheusRule on render the base plus manifests/monitoring', () =>
    assertSameObjects(['manifests/', 'manifests/monitoring'], { metrics: { serviceMonitor: { enabled: true }, prometheusRule: { enabled: true } } }));

  it('alias mode renders the base plus manifests/optional/alias-mode', () =>
    assertSameObjects(['manifests/', 'manifests/optional/alias-mode'], { aliasMode: { enabled: true } }));

  it('merge mode renders the base plus manifests/optional/merge-mode', () =>
    assertSameObjects(['manifests/', 'manifests/optional/merge-mode'], { mergeMode: { enabled: true } }));

  it('would notice a difference', async () => {
    await assert.rejects(assertSameObjects(['manifests/'], { operator: { concurrency: 8 } }), /Deployment\/keyferry-system\/keyferry differs/);
    await assert.rejects(assertSameObjects(['manifests/'], { aliasMode: { enabled: true } }), /the same objects/);
  });
});

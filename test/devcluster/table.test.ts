import { strict as assert } from 'node:assert';
import { buildTable, evaluateJsonPath, humanDuration, JsonPathError, parseJsonPath } from '../../src/devcluster/table/index.js';
import type { ResourceType } from '../../src/devcluster/resource-type.js';

const NOW = new Date('2026-01-01T12:00:00Z');
const base: ResourceType = {
  group: '', version: 'v1', kind: 'Secret', listKind: 'SecretList', plural: 'secrets', singular: 'secret', namespaced: true,
  shortNames: [], categories: [], verbs: ['get', 'list'], subresources: [], printerColumns: [],
};
const created = (secondsAgo: number) => new Date(NOW.getTime() - secondsAgo * 1000).toISOString();
type Table = { columnDefinitions: { name: string; priority: number }[]; rows: { cells: unknown[]; object: { kind: string; metadata: { name?: string } } }[]; metadata: object };

describe('dev cluster Table module', () => {
  describe('evaluateJsonPath', () => {
    const obj = {
      spec: { a: { b: 1 }, 'dotted.key': 'x' },
      status: { conditions: [{ type: 'Synced', reason: 'S' }, { type: 'Ready', reason: 'SecretSynced', count: 3 }], list: [1, 2, 3] },
    };
    it('follows fields, quoted keys, indexes and wildcards', () => {
      assert.deepEqual(evaluateJsonPath(obj, '.spec.a.b'), [1]);
      assert.deepEqual(evaluateJsonPath(obj, "{.spec['dotted.key']}"), ['x']);
      assert.deepEqual(evaluateJsonPath(obj, '.status.list[-1]'), [3]);
      assert.deepEqual(evaluateJsonPath(obj, '.status.list[*]'), [1, 2, 3]);
      assert.deepEqual(evaluateJsonPath(obj, '.status.conditions[*].type'), ['Synced', 'Ready']);
      assert.deepEqual(evaluateJsonPath(obj, '.spec.missing.deeper'), []);
    });
    it('filters on @ with comparisons and existence', () => {
      assert.deepEqual(evaluateJsonPath(obj, '.status.conditions[?(@.type=="Ready")].reason'), ['SecretSynced']);
      assert.deepEqual(evaluateJsonPath(obj, ".status.conditions[?(@.type!='Ready')].reason"), ['S']);
      assert.deepEqual(evaluateJsonPath(obj, '.status.conditions[?(@.count>2)].type'), ['Ready']);
      assert.deepEqual(evaluateJsonPath(obj, '.status.conditions[?(@.count)].type'), ['Ready']);
    });
    it('rejects what it cannot parse', () => {
      assert.throws(() => parseJsonPath('.a[?(@.x=~"re")]'), JsonPathError);
      assert.throws(() => parseJsonPath('.a[1'), JsonPathError);
    });
  });

  it('prints ages like kubectl', () => {
    assert.deepEqual([5e3, 150e3, 1200e3, 5 * 3600e3 + 60e3, 30 * 3600e3, 50 * 3600e3, 30 * 86400e3].map(humanDuration), ['5s', '2m30s', '20m', '5h1m', '30h', '2d2h', '30d']);
  });

  it('Secrets: Name, Type, Data (key count), Age; rows carry PartialObjectMetadata, never values', () => {
    const t = buildTable(base, [{ metadata: { name: 's', creationTimestamp: created(42) }, type: 'kubernetes.io/tls', data: { a: 'cGxhbnRlZA==', b: '' }, binaryData: { c: '' } }], { resourceVersion: '7' }, NOW) as Table;
    assert.deepEqual(t.columnDefinitions.map((c) => c.name), ['Name', 'Type', 'Data', 'Age']);
    assert.deepEqual(t.rows[0].cells, ['s', 'kubernetes.io/tls', '3', '42s']);
    assert.equal(t.rows[0].object.kind, 'PartialObjectMetadata');
    assert.deepEqual(t.metadata, { resourceVersion: '7' });
    assert.ok(!JSON.stringify(t).includes('cGxhbnRlZA=='));
  });

  it('Namespaces, Pods, Deployments and Events get their usual columns', () => {
    const ns = buildTable({ ...base, kind: 'Namespace', plural: 'namespaces', namespaced: false }, [{ metadata: { name: 'd', creationTimestamp: created(1) }, status: { phase: 'Terminating' } }], {}, NOW) as Table;
    assert.deepEqual(ns.rows[0].cells, ['d', 'Terminating', '1s']);
    const pod = buildTable({ ...base, kind: 'Pod', plural: 'pods' }, [{ metadata: { name: 'p' }, spec: { containers: [{}, {}] }, status: { phase: 'Running', containerStatuses: [{ ready: true, restartCount: 2 }, { ready: false, restartCount: 1 }] } }], {}, NOW) as Table;
    assert.deepEqual(pod.rows[0].cells, ['p', '1/2', 'Running', '3', '<unknown>']);
    const dep = buildTable({ ...base, group: 'apps', kind: 'Deployment', plural: 'deployments' }, [{ metadata: { name: 'op' }, spec: { replicas: 2 }, status: { readyReplicas: 1, updatedReplicas: 2, availableReplicas: 1 } }], {}, NOW) as Table;
    assert.deepEqual(dep.columnDefinitions.map((c) => c.name), ['Name', 'Ready', 'Up-to-date', 'Available', 'Age']);
    assert.deepEqual(dep.rows[0].cells.slice(0, 4), ['op', '1/2', 2, 1]);
    const ev = buildTable({ ...base, kind: 'Event', plural: 'events' }, [{ metadata: { name: 'e1' }, lastTimestamp: created(3), type: 'Warning', reason: 'SyncFailed', involvedObject: { kind: 'ExternalSecret', name: 'db' }, message: 'm' }], {}, NOW) as Table;
    assert.deepEqual(ev.columnDefinitions.filter((c) => c.priority === 0).map((c) => c.name), ['Last Seen', 'Type', 'Reason', 'Object', 'Message']);
    assert.deepEqual(ev.rows[0].cells.slice(0, 5), ['3s', 'Warning', 'SyncFailed', 'externalsecret/db', 'm']);
  });

  it('custom resources: printer columns with filters, dates and the CRD-declared Age last', () => {
    const es: ResourceType = {
      ...base, group: 'keyferry.io', version: 'v1alpha1', kind: 'ExternalSecret', plural: 'externalsecrets',
      printerColumns: [
        { name: 'Store', type: 'string', jsonPath: '.spec.secretStoreRef.name' },
        { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
        { name: 'Status', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].reason' },
        { name: 'Keys', type: 'integer', jsonPath: '.status.keys' },
        { name: 'Broken', type: 'string', jsonPath: '.a[' },
      ],
    };
    const t = buildTable(es, [
      { metadata: { name: 'db', creationTimestamp: created(90) }, spec: { secretStoreRef: { name: 'st' } }, status: { conditions: [{ type: 'Ready', reason: 'SecretSynced' }] } },
      { metadata: { name: 'new', creationTimestamp: created(0) }, spec: {} },
    ], {}, NOW) as Table;
    assert.deepEqual(t.columnDefinitions.map((c) => c.name), ['Name', 'Store', 'Status', 'Keys', 'Broken', 'Age']);
    assert.deepEqual(t.rows.map((r) => r.cells), [['db', 'st', 'SecretSynced', null, '', '90s'], ['new', '', '', null, '', '0s']]);
  });
});

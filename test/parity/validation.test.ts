// Object validation, the same on the dev cluster and kube-apiserver: metadata (names per kind,
// labels, annotations, owner references, finalizers), Secrets and ConfigMaps (keys, 1 MiB, types,
// base64, immutability), and the order of checks (namespace, validation, AlreadyExists).
import assert from 'node:assert/strict';
import { causes, forEachCluster, nsPath, parityCluster, type Reply, type Status } from './parity-cluster.js';

const QUALIFIED = "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
const LABEL_VALUE = "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";
const SUBDOMAIN = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const CONFIG_KEY = "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')";
const IMMUTABLE = 'Forbidden: field is immutable when `immutable` is set';

/** Asserts a 422 Invalid for `kind` "name" whose causes are exactly `expected` (order-free). */
function assertInvalid(r: Reply<Status>, kind: string, name: string, expected: string[]): void {
  assert.equal(r.status, 422, r.text);
  assert.equal(r.body.reason, 'Invalid');
  assert.ok(r.body.message?.startsWith(`${kind} "${name}" is invalid: `), r.body.message);
  assert.deepEqual(causes(r.body), [...expected].sort());
}

forEachCluster('parity: validation', function (kind) {
  this.timeout(60_000);
  const pc = parityCluster(kind, 'parity-val');
  const post = (plural: string, body: object) => pc().request<Status>('POST', nsPath(pc().ns, plural), body);

  it('label keys and values: 63-character parts, syntax, a DNS prefix', async () => {
    const long = 'k'.repeat(64);
    assertInvalid(await post('configmaps', { metadata: { name: 'l1', labels: { [long]: 'x', v: 'y'.repeat(64) } } }), 'ConfigMap', 'l1', [
      `metadata.labels: Invalid value: "${long}": name part must be no more than 63 characters`,
      `metadata.labels: Invalid value: "${'y'.repeat(64)}": must be no more than 63 characters`,
    ]);
    assertInvalid(await post('configmaps', { metadata: { name: 'l2', labels: { '-x': 'ok', 'a/b/c': 'ok', x: '-bad', 'UPPER.io/x': 'ok', '/y': 'ok' } } }), 'ConfigMap', 'l2', [
      `metadata.labels: Invalid value: "-x": name part ${QUALIFIED}`,
      `metadata.labels: Invalid value: "a/b/c": a qualified name ${QUALIFIED} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`,
      `metadata.labels: Invalid value: "-bad": ${LABEL_VALUE}`,
      `metadata.labels: Invalid value: "UPPER.io/x": prefix part ${SUBDOMAIN}`,
      'metadata.labels: Invalid value: "/y": prefix part must be non-empty',
    ]);
    const ok = await post('configmaps', { metadata: { name: 'l3', labels: { 'example.com/Name_1.x': 'Value-1', empty: '' } } });
    assert.equal(ok.status, 201, ok.text);
  });

  it('annotations: keys are qualified names in any case, 256 KiB in total', async () => {
    assertInvalid(await post('configmaps', { metadata: { name: 'a1', annotations: { 'bad key': 'x', 'Example.COM/Fine': 'x' } } }), 'ConfigMap', 'a1', [
      `metadata.annotations: Invalid value: "bad key": name part ${QUALIFIED}`,
    ]);
    const r = await post('configmaps', { metadata: { name: 'a2', annotations: { a: 'x'.repeat(128 * 1024), b: 'x'.repeat(128 * 1024) } } });
    assertInvalid(r, 'ConfigMap', 'a2', ['metadata.annotations: Too long: may not be more than 262144 bytes']);
    assert.equal(r.body.details?.causes?.[0]?.reason, 'FieldValueTooLong');
    assert.equal((await post('configmaps', { metadata: { name: 'a3', annotations: { a: 'x'.repeat(128 * 1024) } } })).status, 201);
  });

  it('metadata.name and generateName by the rule of each kind', async () => {
    assertInvalid(await post('configmaps', { metadata: { name: 'Bad_Name' } }), 'ConfigMap', 'Bad_Name', [`metadata.name: Invalid value: "Bad_Name": ${SUBDOMAIN}`]);
    const long = 'x'.repeat(254);
    assertInvalid(await post('secrets', { metadata: { name: long } }), 'Secret', long, [`metadata.name: Invalid value: "${long}": must be no more than 253 characters`]);
    assertInvalid(await pc().request<Status>('POST', '/api/v1/namespaces', { metadata: { name: pc().unique('a.b') } }), 'Namespace', pc().unique('a.b'), [
      `metadata.name: Invalid value: "${pc().unique('a.b')}": must not contain dots`,
    ]);
    const sts = { metadata: { name: 'a.b' }, spec: { selector: { matchLabels: { a: 'b' } }, serviceName: 'x', template: { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'c', image: 'i' }] } } } };
    assertInvalid(await pc().request<Status>('POST', `/apis/apps/v1/namespaces/${pc().ns}/statefulsets`, sts), 'StatefulSet.apps', 'a.b', ['metadata.name: Invalid value: "a.b": must not contain dots']);
    const cj = { metadata: { name: 'c'.repeat(53) }, spec: { schedule: '* * * * *', jobTemplate: { spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'i' }] } } } } } };
    assertInvalid(await pc().request<Status>('POST', `/apis/batch/v1/namespaces/${pc().ns}/cronjobs`, cj), 'CronJob.batch', 'c'.repeat(53), [
      `metadata.name: Invalid value: "${'c'.repeat(53)}": must be no more than 52 characters`,
    ]);
    // generateName is checked as a prefix, and the generated name too.
    const g = await post('secrets', { metadata: { generateName: 'Bad_' } });
    assert.equal(g.status, 422);
    assert.deepEqual(g.body.details?.causes?.map((c) => c.field), ['metadata.generateName', 'metadata.name']);
    assert.match(String(g.body.details?.name), /^Bad_[a-z0-9]{5}$/);
    assert.equal((await post('secrets', { metadata: { generateName: 'fine-' } })).status, 201);
    // Events take any name.
    const ev = await post('events', { metadata: { name: 'Any_Name.x' }, involvedObject: { kind: 'Pod', name: 'p', namespace: pc().ns }, reason: 'R', message: 'm', type: 'Normal' });
    assert.equal(ev.status, 201, ev.text);
  });

  it('Secret data keys are config keys, and a Secret holds at most 1 MiB', async () => {
    assertInvalid(await post('secrets', { metadata: { name: 'k1' }, data: { 'a b': 'eA==', '..': 'eA==', '..x': 'eA==', '.ok': 'eA==', 'a/b': 'eA==' } }), 'Secret', 'k1', [
      `data[a b]: Invalid value: "a b": ${CONFIG_KEY}`,
      'data[..]: Invalid value: "..": must not be \'..\'',
      'data[..x]: Invalid value: "..x": must not start with \'..\'',
      `data[a/b]: Invalid value: "a/b": ${CONFIG_KEY}`,
    ]);
    assertInvalid(await post('secrets', { metadata: { name: 'k2' }, stringData: { 'a b': 'x' } }), 'Secret', 'k2', [`data[a b]: Invalid value: "a b": ${CONFIG_KEY}`]);
    const mib = 1024 * 1024;
    const big = await post('secrets', { metadata: { name: 'k3' }, data: { a: Buffer.alloc(mib / 2).toString('base64'), b: Buffer.alloc(mib / 2 + 1).toString('base64') } });
    assertInvalid(big, 'Secret', 'k3', ['data: Too long: may not be more than 1048576 bytes']);
    assert.equal(big.body.details?.causes?.[0]?.reason, 'FieldValueTooLong');
    assert.equal((await post('secrets', { metadata: { name: 'k4' }, data: { a: Buffer.alloc(mib).toString('base64') } })).status, 201);
    assertInvalid(await post('configmaps', { metadata: { name: 'k5' }, data: { a: 'x'.repeat(mib) }, binaryData: { b: 'eA==' } }), 'ConfigMap', 'k5', ['[]: Too long: may not be more than 1048576 bytes']);
    assertInvalid(await post('configmaps', { metadata: { name: 'k6' }, data: { a: 'x', '.': 'y' }, binaryData: { a: 'eA==', '..z': 'eA==' } }), 'ConfigMap', 'k6', [
      'data[a]: Invalid value: "a": duplicate of key present in binaryData',
      'data[.]: Invalid value: ".": must not be \'.\'',
      'binaryData[..z]: Invalid value: "..z": must not start with \'..\'',
    ]);
  });

  it('Secret types require their keys', async () => {
    assertInvalid(await post('secrets', { metadata: { name: 't1' }, type: 'kubernetes.io/tls', data: {} }), 'Secret', 't1', ['data[tls.crt]: Required value', 'data[tls.key]: Required value']);
    assertInvalid(await post('secrets', { metadata: { name: 't2' }, type: 'kubernetes.io/basic-auth' }), 'Secret', 't2', ['data[username]: Required value', 'data[password]: Required value']);
    assert.equal((await post('secrets', { metadata: { name: 't3' }, type: 'kubernetes.io/basic-auth', stringData: { password: '' } })).status, 201);
    assertInvalid(await post('secrets', { metadata: { name: 't4' }, type: 'kubernetes.io/ssh-auth', data: {} }), 'Secret', 't4', ['data[ssh-privatekey]: Required value']);
    assertInvalid(await post('secrets', { metadata: { name: 't5' }, type: 'kubernetes.io/service-account-token' }), 'Secret', 't5', [
      'metadata.annotations[kubernetes.io/service-account.name]: Required value',
    ]);
    const docker = await post('secrets', { metadata: { name: 't6' }, type: 'kubernetes.io/dockerconfigjson', stringData: { '.dockerconfigjson': 'not json' } });
    assert.equal(docker.status, 422);
    assert.equal(docker.body.details?.causes?.[0]?.field, 'data[.dockerconfigjson]');
    assert.ok(docker.body.details?.causes?.[0]?.message.startsWith('Invalid value: "<secret contents redacted>": '));
    assert.equal((await post('secrets', { metadata: { name: 't7' }, type: 'example.com/anything' })).status, 201);
  });

  it('bad base64 in Secret data is a 400 from decoding, not a 422', async () => {
    for (const [value, at] of [['!!!', 0], ['eA', 0], ['eHh4e', 4], ['eHh4eA=x', 6]] as const) {
      const r = await post('secrets', { metadata: { name: 'b64' }, data: { a: value } });
      assert.equal(r.status, 400, value);
      assert.equal(r.body.reason, 'BadRequest');
      assert.equal(r.body.message, `Secret in version "v1" cannot be handled as a Secret: illegal base64 data at input byte ${at}`);
    }
  });

  it('owner references: every field set, one controller at most, duplicates dropped', async () => {
    assertInvalid(await post('configmaps', { metadata: { name: 'o1', ownerReferences: [{ apiVersion: '', kind: '', name: '', uid: '' }] } }), 'ConfigMap', 'o1', [
      'metadata.ownerReferences.apiVersion: Invalid value: "": version must not be empty',
      'metadata.ownerReferences.kind: Invalid value: "": must not be empty',
      'metadata.ownerReferences.name: Invalid value: "": must not be empty',
      'metadata.ownerReferences.uid: Invalid value: "": must not be empty',
    ]);
    const two = [{ apiVersion: 'v1', kind: 'X', name: 'a', uid: '1', controller: true }, { apiVersion: 'v1', kind: 'Y', name: 'b', uid: '2', controller: true }];
    assertInvalid(await post('configmaps', { metadata: { name: 'o2', ownerReferences: two } }), 'ConfigMap', 'o2', [
      `metadata.ownerReferences: Invalid value: ${JSON.stringify(two)}: Only one reference can have Controller set to true. Found "true" in references for X/a and Y/b`,
    ]);
    const ref = { apiVersion: 'v1', kind: 'X', name: 'a', uid: 'u-1' };
    const dup = await post('configmaps', { metadata: { name: 'o3', ownerReferences: [ref, ref] } });
    assert.equal(dup.status, 201);
    assert.deepEqual((dup.body as { metadata: { ownerReferences: unknown[] } }).metadata.ownerReferences, [ref]);
  });

  it('finalizers: qualified names, not orphan and foregroundDeletion together; built-in kinds refuse unqualified ones', async () => {
    assertInvalid(await post('configmaps', { metadata: { name: 'f1', finalizers: ['bad finalizer', 'kubernetes', 'example.com/a', 'nodot'] } }), 'ConfigMap', 'f1', [
      `metadata.finalizers: Invalid value: "bad finalizer": name part ${QUALIFIED}`,
      'metadata.finalizers[0]: Invalid value: "bad finalizer": name is neither a standard finalizer name nor is it fully qualified',
      'metadata.finalizers[3]: Invalid value: "nodot": name is neither a standard finalizer name nor is it fully qualified',
    ]);
    assertInvalid(await post('configmaps', { metadata: { name: 'f2', finalizers: ['orphan', 'foregroundDeletion'] } }), 'ConfigMap', 'f2', [
      'metadata.finalizers: Invalid value: ["orphan","foregroundDeletion"]: finalizer orphan and foregroundDeletion cannot be both set',
    ]);
  });

  it('a custom resource reports metadata and schema errors together, and says CEL rules were skipped', async () => {
    const r = await pc().request<Status>('POST', `/apis/keyferry.io/v1alpha1/namespaces/${pc().ns}/externalsecrets`, {
      apiVersion: 'keyferry.io/v1alpha1', kind: 'ExternalSecret', metadata: { name: 'Bad_Name', finalizers: ['nodot'] }, spec: {},
    });
    assertInvalid(r, 'ExternalSecret.keyferry.io', 'Bad_Name', [
      `metadata.name: Invalid value: "Bad_Name": ${SUBDOMAIN}`,
      'spec.secretStoreRef: Required value',
      '<nil>: Invalid value: null: some validation rules were not checked because the object was invalid; correct the existing errors to complete validation',
    ]);
  });

  it('a Pod needs containers', async () => {
    assertInvalid(await post('pods', { metadata: { name: 'p1' }, spec: {} }), 'Pod', 'p1', ['spec.containers: Required value']);
  });

  it('checks a missing namespace first, then validity, then an existing name', async () => {
    const missing = await pc().request<Status>('POST', nsPath(pc().unique('nonexistent'), 'configmaps'), { metadata: { name: 'Bad_Name' } });
    assert.equal(missing.status, 404);
    assert.equal(missing.body.message, `namespaces "${pc().unique('nonexistent')}" not found`);
    assert.equal((await post('configmaps', { metadata: { name: 'order' } })).status, 201);
    assertInvalid(await post('configmaps', { metadata: { name: 'order', labels: { '-x': 'y' } } }), 'ConfigMap', 'order', [`metadata.labels: Invalid value: "-x": name part ${QUALIFIED}`]);
    const again = await post('configmaps', { metadata: { name: 'order' } });
    assert.equal(again.status, 409);
    assert.equal(again.body.reason, 'AlreadyExists');
  });

  it('an immutable Secret refuses changes to data, immutable and type, naming each', async () => {
    assert.equal((await post('secrets', { metadata: { name: 'imm' }, data: { a: 'eA==' }, immutable: true })).status, 201);
    const put = (body: object) => pc().request<Status>('PUT', nsPath(pc().ns, 'secrets', 'imm'), { metadata: { name: 'imm' }, ...body });
    assertInvalid(await put({ data: { a: 'eQ==' }, immutable: true }), 'Secret', 'imm', [`data: ${IMMUTABLE}`]);
    const both = await put({ data: { a: 'eQ==' }, immutable: false });
    assert.deepEqual(both.body.details?.causes?.map((c) => c.field), ['immutable', 'data']);
    assertInvalid(await put({ data: { a: 'eA==' }, immutable: true, type: 'kubernetes.io/tls' }), 'Secret', 'imm', [
      'type: Invalid value: "kubernetes.io/tls": field is immutable', 'data[tls.crt]: Required value', 'data[tls.key]: Required value',
    ]);
    const labelled = await pc().request('PATCH', nsPath(pc().ns, 'secrets', 'imm'), { metadata: { labels: { x: 'y' } } }, 'application/merge-patch+json');
    assert.equal(labelled.status, 200, 'metadata stays mutable');
  });

  it('keeps metadata.generation only for kinds that have one', async () => {
    const secret = (await post('secrets', { metadata: { name: 'gen' } })).body as { metadata: { generation?: number } };
    const cm = (await post('configmaps', { metadata: { name: 'gen' } })).body as { metadata: { generation?: number } };
    const pod = (await post('pods', { metadata: { name: 'gen' }, spec: { containers: [{ name: 'c', image: 'i' }] } })).body as { metadata: { generation?: number } };
    assert.deepEqual([secret.metadata.generation, cm.metadata.generation, pod.metadata.generation], [undefined, undefined, 1]);
  });
});

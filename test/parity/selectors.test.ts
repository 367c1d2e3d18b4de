// Label and field selectors, the same on both clusters: every label operator (gt and lt too),
// empty values, the parser's error messages, the fields each kind can be selected by, and how
// each kind refuses the others.
import assert from 'node:assert/strict';
import { forEachCluster, nsPath, parityCluster, type Status } from './parity-cluster.js';

type List = { items: { metadata: { name: string } }[] };

forEachCluster('parity: label and field selectors', function (kind) {
  this.timeout(60_000);
  const pc = parityCluster(kind, 'parity-sel');
  /** Names selected from a collection (a core plural in the suite's namespace, or a full path), or the refusal. */
  const select = async (collection: string, query: string) => {
    const path = collection.startsWith('/') ? collection : nsPath(pc().ns, collection);
    const r = await pc().request<List & Status>('GET', `${path}?${query}`);
    // Objects the cluster makes itself (a real namespace's kube-root-ca.crt) are not this suite's.
    return r.status === 200 ? r.body.items.map((i) => i.metadata.name).filter((n) => !n.startsWith('kube-')).sort() : `${r.status} ${r.body.message}`;
  };
  const labels = (sel: string) => select('configmaps', `labelSelector=${encodeURIComponent(sel)}`);
  const fields = (collection: string, sel: string) => select(collection, `fieldSelector=${encodeURIComponent(sel)}`);

  before(async () => {
    const objects: [string, Record<string, string>][] = [['one', { tier: 'web', n: '1' }], ['two', { tier: 'db', n: '20' }], ['three', { tier: '', n: 'x' }], ['four', {}]];
    for (const [name, l] of objects) await pc().request('POST', nsPath(pc().ns, 'configmaps'), { metadata: { name, labels: l } });
  });

  it('label operators: =, ==, !=, in, notin, exists, !, gt, lt, and empty values', async () => {
    assert.deepEqual(await labels('tier=web'), ['one']);
    assert.deepEqual(await labels('tier==db,n=20'), ['two']);
    assert.deepEqual(await labels('tier!=web'), ['four', 'three', 'two']);
    assert.deepEqual(await labels('tier in (web, db)'), ['one', 'two']);
    assert.deepEqual(await labels('tier notin (web)'), ['four', 'three', 'two']);
    assert.deepEqual(await labels('tier'), ['one', 'three', 'two']);
    assert.deepEqual(await labels('!tier'), ['four']);
    assert.deepEqual(await labels('n>5'), ['two'], 'numeric, and only on integer values');
    assert.deepEqual(await labels('n<5'), ['one']);
    assert.deepEqual(await labels('tier='), ['three']);
    assert.deepEqual(await labels('tier in ()'), ['three']);
    assert.deepEqual(await labels('tier notin ()'), ['four', 'one', 'two']);
    assert.deepEqual(await labels('tier in (web,,db)'), ['one', 'three', 'two']);
    assert.deepEqual(await labels('  tier = web  '), ['one']);
  });

  it('label selector errors, in the parser\'s words', async () => {
    const cases: [string, string][] = [
      ['a in (b', "unable to parse requirement: found '', expected: ',' or ')'"],
      ['a in b', "unable to parse requirement: found 'b' expected: '('"],
      ['a!', "unable to parse requirement: found '!', expected: in, notin, =, ==, !=, gt, lt"],
      ['a gt 1', "unable to parse requirement: found 'gt', expected: in, notin, =, ==, !=, gt, lt"],
      ['a<x', "unable to parse requirement: values[0]: Invalid value: \"x\": for 'Gt', 'Lt' operators, the value must be an integer"],
      ['a=b=c', "found '=', expected: ',' or 'end of string'"],
      ['!a=b', "found '=', expected: ',' or 'end of string'"],
      ['x,', "found '', expected: identifier after ','"],
      ['(a)', "found '(', expected: !, identifier, or 'end of string'"],
      ['!', "unable to parse requirement: found '', expected: identifier"],
      ['a=(b)', "unable to parse requirement: found '(', expected: identifier"],
    ];
    for (const [sel, message] of cases) assert.equal(await labels(sel), `400 ${message}`, sel);
    assert.match(String(await labels('-a=b')), /^400 unable to parse requirement: <nil>: Invalid value: "-a": name part must consist of/);
    assert.match(String(await labels('a=-b')), /^400 unable to parse requirement: values\[0\]\[a\]: Invalid value: "-b": a valid label must be an empty string/);
  });

  it('field selectors: the fields of each kind, escapes, and refusals in each kind\'s words', async () => {
    await pc().request('POST', nsPath(pc().ns, 'secrets'), { metadata: { name: 'tls' }, type: 'kubernetes.io/tls', stringData: { 'tls.crt': 'c', 'tls.key': 'k' } });
    await pc().request('POST', nsPath(pc().ns, 'secrets'), { metadata: { name: 'plain' } });
    assert.deepEqual(await fields('secrets', 'type=kubernetes.io/tls'), ['tls']);
    assert.deepEqual(await fields('secrets', 'type!=kubernetes.io/tls,metadata.name!=x'), ['plain']);
    assert.deepEqual(await fields('configmaps', 'metadata.name=one'), ['one']);
    assert.deepEqual(await fields('configmaps', `metadata.namespace=${pc().ns},metadata.name==two`), ['two']);
    await pc().request('POST', nsPath(pc().ns, 'services'), { metadata: { name: 'svc' }, spec: { type: 'NodePort', ports: [{ port: 80 }] } });
    assert.deepEqual(await fields('services', 'spec.type=NodePort'), ['svc']);
    await pc().request('POST', nsPath(pc().ns, 'pods'), { metadata: { name: 'pod' }, spec: { containers: [{ name: 'c', image: 'i' }] } });
    assert.deepEqual(await fields('pods', 'spec.nodeName=,spec.hostNetwork=false,status.podIPs='), ['pod']);
    assert.equal(await fields('configmaps', 'data.x=1'), '400 "data.x" is not a known field selector: only "metadata.name", "metadata.namespace"');
    assert.equal(await fields('secrets', 'data.x=1'), '400 field label not supported: data.x');
    assert.equal(await fields('secrets', 'type =x'), '400 field label not supported: type ');
    assert.equal(await fields(`/apis/batch/v1/namespaces/${pc().ns}/jobs`, 'spec.x=1'), '400 field label "spec.x" not supported for Job');
    assert.equal(await fields(`/apis/keyferry.io/v1alpha1/namespaces/${pc().ns}/externalsecrets`, 'spec.x=1'), '400 field label not supported: spec.x');
    assert.equal(await fields('/api/v1/namespaces', 'metadata.namespace=x'), '400 field label not supported: metadata.namespace');
    assert.equal(await fields('secrets', 'type=a=b'), '400 invalid field selector: unescaped character in value: 61');
    assert.equal(await fields('secrets', 'type=\\q'), '400 invalid field selector: invalid escape sequence: \\q');
    assert.equal(await fields('secrets', 'type'), "400 invalid selector: 'type'; can't understand 'type'");
    assert.deepEqual(await fields('secrets', 'type=a\\,b'), []);
  });
});

// Wire tests: the provider's real Connect SDK client against a local Connect server that
// speaks the Connect REST API (ids, filters, trailing-slash list URLs, error bodies).
import { strict as assert } from 'node:assert';
import { onePasswordProvider, type OnePasswordConfig } from '../../../providers/onepassword/index.js';
import {
  extractAll,
  isProviderError,
  readValue,
  selectProperty,
  type ProviderClient,
  type ProviderError,
} from '../../../providers/contract/index.js';
import { ConnectServer } from '../../support/onepassword/connect-server.js';
import { recordingDeps, type RecordingDeps } from '../../support/azure/provider-deps.js';
import { createTestPki } from '../../support/azure/test-pki.js';
import { blockedAttempts, installLoopbackGuard } from '../../support/loopback-guard.js';
import { compileUserPattern } from '../../../src/controller/user-pattern.js';

const token = 'eyJhbGciOiJFUzI1NiIsImtpZCI6InBsYW50ZWQifQ.eyJzdWIiOiJjb25uZWN0In0.c2lnbmF0dXJlLXBsYW50ZWQ';
const plantedPassword = 'planted-password-5d2f77';
const plantedNote = 'planted-note-a81c';

async function rejection(promise: Promise<unknown>): Promise<ProviderError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(isProviderError(error), `expected a ProviderError, got ${JSON.stringify(error)}`);
    return error;
  }
  assert.fail('expected a rejection');
}

describe('onepassword provider against a local Connect server', () => {
  let server: ConnectServer;
  let prod: string;
  let shared: string;
  let hidden: string;
  const clients: ProviderClient[] = [];
  const errors: ProviderError[] = [];
  const allDeps: RecordingDeps[] = [];

  let uninstallGuard: () => void;
  let blockedBefore = 0;

  before(async () => {
    uninstallGuard = installLoopbackGuard();
    server = await ConnectServer.start();
    prod = server.addVault('prod');
    shared = server.addVault('shared');
    hidden = server.addVault('hidden');
    server.addToken(token, [prod, shared]);
  });

  after(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await server.close();
    uninstallGuard();
  });

  beforeEach(() => {
    blockedBefore = blockedAttempts.length;
  });

  afterEach(() => {
    assert.deepEqual(blockedAttempts.slice(blockedBefore).map((e) => e.message), [], 'no connection outside 127.0.0.1');
    const text = [
      ...errors.map((e) => `${e.message} ${e.reason} ${e.code ?? ''}`),
      ...allDeps.flatMap((d) => [...d.logLines, ...d.observations.map((o) => JSON.stringify(o))]),
    ].join('\n');
    for (const needle of [token, token.split('.')[2]!, plantedPassword, plantedNote]) {
      assert.ok(!text.includes(needle), `leaked ${needle.slice(0, 6)}… in: ${text}`);
    }
  });

  function deps(tokenValue = token): RecordingDeps {
    const d = recordingDeps({ secrets: { 'default/op': { token: tokenValue } } });
    allDeps.push(d);
    return d;
  }

  function config(overrides: Partial<OnePasswordConfig> = {}): OnePasswordConfig {
    return {
      connectHost: server.url,
      vaults: { prod: 1, shared: 2 },
      auth: { secretRef: { connectTokenSecretRef: { name: 'op', key: 'token' } } },
      ...overrides,
    };
  }

  async function connect(c: OnePasswordConfig = config(), d = deps()): Promise<ProviderClient> {
    const client = await onePasswordProvider.connect(c, d);
    clients.push(client);
    return client;
  }

  async function fails(promise: Promise<unknown>): Promise<ProviderError> {
    const error = await rejection(promise);
    errors.push(error);
    return error;
  }

  it('reads an item by title: the password field without a property, any field by label, every field for extract', async () => {
    server.addItem(prod, {
      title: 'db-login',
      category: 'LOGIN',
      fields: [
        { label: 'username', value: 'app', purpose: 'USERNAME' },
        { label: 'password', value: plantedPassword, purpose: 'PASSWORD' },
        { label: 'host', value: 'pg.internal', section: 'conn' },
        { label: 'config', value: JSON.stringify({ pool: { max: 5 } }) },
      ],
    });
    const before = server.requests.length;
    const client = await connect();
    const secret = await client.fetch({ key: 'db-login' });
    assert.equal(secret.value.toString(), plantedPassword);
    assert.equal(selectProperty(secret, 'db-login', 'username').toString(), 'app');
    assert.equal(selectProperty(secret, 'db-login', 'host').toString(), 'pg.internal');
    assert.equal(selectProperty(secret, 'db-login', 'config.pool.max').toString(), '5');
    assert.equal((await rejection(Promise.resolve().then(() => selectProperty(secret, 'db-login', 'nope')))).kind, 'NotFound');
    assert.deepEqual(Object.keys(extractAll(secret, 'db-login')).sort(), ['config', 'host', 'password', 'username']);
    assert.equal(secret.versionId, '1');
    assert.equal(secret.metadata?.vault, 'prod');
    assert.ok(secret.createdAt instanceof Date && secret.updatedAt instanceof Date);
    // The SDK's own URL shapes: trailing-slash vault list and item search with a title filter.
    const seen = server.requests.slice(before).map((r) => `${r.path}${decodeURIComponent(r.query)}`);
    assert.ok(seen.includes('/v1/vaults/?filter=title eq "prod"'), seen.join('\n'));
    assert.ok(seen.some((s) => s === `/v1/vaults/${prod}/items/?filter=title eq "db-login"`), seen.join('\n'));
  });

  it('fails a ref without property on an item that has no password field, instead of reading an empty value', async () => {
    server.addItem(prod, { title: 'note-only', category: 'SECURE_NOTE', fields: [{ label: 'notesPlain', value: plantedNote, purpose: 'NOTES' }] });
    const client = await connect();
    const secret = await client.fetch({ key: 'note-only' });
    assert.equal(selectProperty(secret, 'note-only', 'notesPlain').toString(), plantedNote);
    const error = await rejection(Promise.resolve().then(() => readValue(secret, 'note-only')));
    errors.push(error);
    assert.equal(error.kind, 'NotFound');
    assert.equal(error.reason, 'NoPasswordField');
    const login = await client.fetch({ key: 'db-login' });
    assert.equal(readValue(login, 'db-login').toString(), plantedPassword);
  });

  it('reads an item by its 26-character id', async () => {
    const id = server.addItem(shared, { title: 'api-key', category: 'API_CREDENTIAL', fields: [{ label: 'credential', value: 'k-123' }, { label: 'password', value: 'p-123', type: 'CONCEALED' }] });
    assert.match(id, /^[a-z0-9]{26}$/);
    const client = await connect();
    const secret = await client.fetch({ key: id });
    assert.equal(selectProperty(secret, id, 'credential').toString(), 'k-123');
    assert.equal(secret.value.toString(), 'p-123');
  });

  it('searches vaults in priority order: the first vault holding the title answers', async () => {
    server.addItem(prod, { title: 'both', fields: [{ label: 'password', value: 'from-prod', purpose: 'PASSWORD' }] });
    server.addItem(shared, { title: 'both', fields: [{ label: 'password', value: 'from-shared', purpose: 'PASSWORD' }] });
    server.addItem(shared, { title: 'only-shared', fields: [{ label: 'password', value: 'shared-only', purpose: 'PASSWORD' }] });
    const first = await connect();
    assert.equal((await first.fetch({ key: 'both' })).value.toString(), 'from-prod');
    assert.equal((await first.fetch({ key: 'only-shared' })).value.toString(), 'shared-only');
    const reversed = await connect(config({ vaults: { prod: 5, shared: 0 } }));
    assert.equal((await reversed.fetch({ key: 'both' })).value.toString(), 'from-shared');
  });

  it('refuses to guess between two items with the same title', async () => {
    server.addItem(prod, { title: 'twin', fields: [{ label: 'password', value: plantedPassword, purpose: 'PASSWORD' }] });
    server.addItem(prod, { title: 'twin', fields: [{ label: 'password', value: 'other', purpose: 'PASSWORD' }] });
    const client = await connect();
    const error = await fails(client.fetch({ key: 'twin' }));
    assert.equal(error.kind, 'InvalidData');
    assert.equal(error.reason, 'AmbiguousTitle');
    assert.match(error.message, /more than one item is titled "twin"/);
  });

  it('leaves out a field label used twice instead of picking one', async () => {
    server.addItem(prod, { title: 'dup-fields', fields: [{ label: 'token', value: 'a' }, { label: 'token', value: 'b' }, { label: 'other', value: 'c' }] });
    const client = await connect();
    const secret = await client.fetch({ key: 'dup-fields' });
    assert.equal(secret.metadata?.ambiguousFields, 'token');
    assert.equal((await rejection(Promise.resolve().then(() => selectProperty(secret, 'dup-fields', 'token')))).kind, 'NotFound');
    assert.equal(selectProperty(secret, 'dup-fields', 'other').toString(), 'c');
  });

  it('uses the item version as the version: a new version after an edit, and an old pinned version is not readable', async () => {
    const id = server.addItem(prod, { title: 'rotating', fields: [{ label: 'password', value: 'v1-value', purpose: 'PASSWORD' }] });
    const client = await connect();
    assert.equal((await client.fetch({ key: 'rotating' })).versionId, '1');
    assert.equal(server.updateItem(prod, id, { field: 'password', value: 'v2-value' }), 2);
    const latest = await client.fetch({ key: 'rotating' });
    assert.equal(latest.versionId, '2');
    assert.equal(latest.value.toString(), 'v2-value');
    assert.equal((await client.fetch({ key: 'rotating', version: '2' })).value.toString(), 'v2-value');
    const old = await fails(client.fetch({ key: 'rotating', version: '1' }));
    assert.equal(old.kind, 'NotFound');
    assert.equal(old.reason, 'VersionNotCurrent');
  });

  it('yields a document item\'s file content byte for byte, and its files by name', async () => {
    const binary = Buffer.from([0x00, 0xff, 0x80, 0x7f, 0xc3, 0x28, 0x0a]);
    server.addItem(prod, { title: 'tls-bundle', category: 'DOCUMENT', files: { 'bundle.p12': binary } });
    const client = await connect();
    const secret = await client.fetch({ key: 'tls-bundle' });
    assert.deepEqual(secret.value, binary);
    assert.deepEqual(selectProperty(secret, 'tls-bundle', 'bundle.p12'), binary);
    const contentCalls = server.requests.filter((r) => r.path.endsWith('/content'));
    assert.ok(contentCalls.length >= 1);
  });

  it('maps a missing item to NotFound after searching every vault', async () => {
    const client = await connect();
    const error = await fails(client.fetch({ key: 'no-such-item' }));
    assert.equal(error.kind, 'NotFound');
    assert.equal(error.reason, 'ItemNotFound');
    assert.match(error.message, /"prod", "shared"/);
  });

  it('maps a bad token to Auth without echoing it', async () => {
    const client = await connect(config(), deps('eyJhbGciOiJub25lIn0.eyJzdWIiOiJ3cm9uZyJ9.d3Jvbmctc2lnbmF0dXJl'));
    const error = await fails(client.fetch({ key: 'db-login' }));
    assert.equal(error.kind, 'Auth');
    assert.equal(error.code, '401');
    assert.ok(!error.message.includes('d3Jvbmctc2lnbmF0dXJl'));
    assert.equal((await fails(client.validate())).kind, 'Auth');
  });

  it('maps a vault outside the token\'s scope: by id a 403 (Auth), by name not found (Config)', async () => {
    const byId = await connect(config({ vaults: { [hidden]: 1 } }));
    const forbidden = await fails(byId.fetch({ key: 'anything' }));
    assert.equal(forbidden.kind, 'Auth');
    assert.equal(forbidden.reason, 'NotInScope');
    const byName = await connect(config({ vaults: { hidden: 1 } }));
    const missing = await fails(byName.validate());
    assert.equal(missing.kind, 'Config');
    assert.equal(missing.reason, 'VaultNotFound');
  });

  it('maps 429 to Throttled with Retry-After, and 5xx or an unreachable server to Unavailable', async () => {
    const client = await connect();
    await client.validate();
    server.throttleNext(1, 12);
    const throttled = await fails(client.fetch({ key: 'db-login' }));
    assert.equal(throttled.kind, 'Throttled');
    assert.equal((throttled as ProviderError & { retryAfterMs?: number }).retryAfterMs, 12_000);
    server.failNext(1, 503);
    const down = await fails(client.fetch({ key: 'db-login' }));
    assert.equal(down.kind, 'Unavailable');
    assert.equal(down.code, '503');
    const nowhere = await connect(config({ connectHost: 'http://127.0.0.1:9' }));
    const unreachable = await fails(nowhere.fetch({ key: 'db-login' }));
    assert.equal(unreachable.kind, 'Unavailable');
    assert.equal(unreachable.reason, 'Unreachable');
  });

  it('stops on the caller\'s abort signal before anything is sent', async () => {
    const client = await connect();
    await client.validate();
    const before = server.requests.length;
    const error = await fails(client.fetch({ key: 'db-login' }, { signal: AbortSignal.abort() }));
    assert.equal(error.kind, 'Unavailable');
    assert.equal(error.reason, 'Aborted');
    assert.equal(server.requests.length, before);
  });

  it('finds item titles by regexp and tags across the vaults', async () => {
    server.addItem(prod, { title: 'svc-alpha', tags: ['env:prod', 'team=a'], fields: [{ label: 'password', value: plantedNote }] });
    server.addItem(shared, { title: 'svc-beta', tags: ['env:prod'], fields: [] });
    server.addItem(shared, { title: 'svc-gamma', tags: ['env:dev'], fields: [] });
    const client = await connect();
    assert.deepEqual(await client.find!({ name: compileUserPattern('^svc-'), tags: { env: 'prod' } }), ['svc-alpha', 'svc-beta']);
    assert.deepEqual(await client.find!({ name: compileUserPattern('^svc-'), tags: { team: 'a' } }), ['svc-alpha']);
    assert.deepEqual(await client.find!({ path: 'svc-g' }), ['svc-gamma']);
  });

  it('reports its calls to the observer', async () => {
    const d = deps();
    const client = await connect(config(), d);
    await client.fetch({ key: 'db-login' });
    const ops = new Set(d.observations.map((o) => `${o.operation}:${o.outcome}`));
    assert.ok(ops.has('GetVault:success') && ops.has('GetItem:success'), [...ops].join(','));
  });

  it('speaks TLS to a Connect server behind a private CA given as caBundle, and refuses it without', async () => {
    const pki = await createTestPki();
    const tlsServer = await ConnectServer.start({ cert: pki.serverCert, key: pki.serverKey });
    try {
      const vault = tlsServer.addVault('prod');
      tlsServer.addToken(token, [vault]);
      tlsServer.addItem(vault, { title: 'tls-item', fields: [{ label: 'password', value: 'over-tls', purpose: 'PASSWORD' }] });
      const trusted = await connect(config({ connectHost: tlsServer.url, vaults: { prod: 1 }, caBundle: Buffer.from(pki.caCert).toString('base64') }));
      assert.equal((await trusted.fetch({ key: 'tls-item' })).value.toString(), 'over-tls');
      assert.deepEqual((await trusted.validate()).warnings, []);
      const untrusted = await connect(config({ connectHost: tlsServer.url, vaults: { prod: 1 } }));
      const error = await fails(untrusted.fetch({ key: 'tls-item' }));
      assert.equal(error.kind, 'Unavailable');
      assert.equal(error.reason, 'TLS');
    } finally {
      await tlsServer.close();
    }
  });

  it('warns about a plaintext Connect host', async () => {
    const client = await connect();
    const result = await client.validate();
    assert.equal(result.warnings.length, 1);
    assert.match(result.warnings[0]!, /plaintext/);
  });

  it('validates its config with field paths and names its endpoint', () => {
    const issues = onePasswordProvider.validateConfig({ connectHost: 'ftp://x', vaults: { a: -1 }, auth: {} }, { kind: 'ClusterSecretStore', name: 'c' });
    assert.deepEqual(issues.map((i) => i.field).sort(), [
      'spec.provider.onepassword.auth.secretRef.connectTokenSecretRef',
      'spec.provider.onepassword.connectHost',
      'spec.provider.onepassword.vaults.a',
    ]);
    assert.deepEqual(onePasswordProvider.validateConfig(config(), { kind: 'SecretStore', name: 's', namespace: 'default' }), []);
    assert.equal(
      onePasswordProvider.endpointIdentity(config({ connectHost: 'http://Connect.example:8080/' }), { kind: 'SecretStore', name: 's' }),
      'onepassword:http://connect.example:8080',
    );
  });
});

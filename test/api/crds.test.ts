import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, dirname, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import type { JsonSchemaProps } from '../../scripts/generate-api-types.js';
import { celErrors, compileRule, createValidator, loadValidators, storageVersion, toAjvSchema, type CelRule, type CrdValidator } from './crd-validator.js';
import { Ajv } from 'ajv';
import { GROUP, VERSION, PLURALS, PROVIDER_NAMES } from '../../src/api/index.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const crdDir = join(root, 'manifests', 'crds');
const examplesDir = join(root, 'manifests', 'examples');
const validators = loadValidators(crdDir);
const v = (kind: string): CrdValidator => validators.get(kind)!;

/** Every schema node with its path. */
function* nodes(schema: JsonSchemaProps, path = ''): Generator<[string, JsonSchemaProps]> {
  yield [path, schema];
  for (const [k, child] of Object.entries(schema.properties ?? {})) yield* nodes(child, path ? `${path}.${k}` : k);
  if (schema.items) yield* nodes(schema.items, `${path}[]`);
  if (typeof schema.additionalProperties === 'object') yield* nodes(schema.additionalProperties, `${path}{}`);
}

function yamlFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? yamlFiles(p) : f.endsWith('.yaml') ? [p] : [];
  });
}

const clone = <T>(x: T): T => structuredClone(x);
const fakeStore = () => ({
  apiVersion: 'keyferry.io/v1alpha1',
  kind: 'SecretStore',
  metadata: { name: 's', namespace: 'n' },
  spec: { provider: { fake: { data: [{ key: 'k', value: 'v' }] } } },
});
const externalSecret = () => ({
  apiVersion: 'keyferry.io/v1alpha1',
  kind: 'ExternalSecret',
  metadata: { name: 'es', namespace: 'n' },
  spec: { secretStoreRef: { name: 's' }, data: [{ secretKey: 'a', remoteRef: { key: 'k' } }] } as Record<string, unknown>,
});
const awsClusterStore = () => ({
  apiVersion: 'keyferry.io/v1alpha1',
  kind: 'ClusterSecretStore',
  metadata: { name: 'aws' },
  spec: {
    provider: {
      aws: {
        region: 'eu-west-1',
        auth: { secretRef: {
          accessKeyIDSecretRef: { name: 'aws', key: 'id', namespace: 'keyferry-system' },
          secretAccessKeySecretRef: { name: 'aws', key: 'secret', namespace: 'keyferry-system' },
        } },
      },
    },
  },
});

describe('CRDs (manifests/crds)', () => {
  it('define the four kinds in keyferry.io/v1alpha1 with status, printer columns, short names and the keyferry category', () => {
    assert.deepEqual([...validators.keys()].sort(), ['ClusterExternalSecret', 'ClusterSecretStore', 'ExternalSecret', 'SecretStore']);
    for (const [kind, { crd }] of validators) {
      const spec = crd.spec as unknown as { group: string; scope: string; names: { plural: string; shortNames: string[]; categories: string[] }; versions: { name: string; served: boolean; storage: boolean; subresources: object; additionalPrinterColumns: { name: string; jsonPath: string }[] }[] };
      assert.equal(spec.group, GROUP);
      assert.equal(crd.metadata.name, `${PLURALS[kind as keyof typeof PLURALS]}.${GROUP}`);
      assert.equal(spec.scope, kind.startsWith('Cluster') ? 'Cluster' : 'Namespaced');
      assert.deepEqual(spec.versions.map((x) => [x.name, x.served, x.storage]), [[VERSION, true, true]]);
      assert.deepEqual(spec.versions[0]!.subresources, { status: {} });
      assert.ok(spec.names.shortNames.length > 0);
      assert.deepEqual(spec.names.categories, ['keyferry']);
    }
    const columns = (kind: string) => (v(kind).crd.spec.versions[0] as unknown as { additionalPrinterColumns: { name: string; jsonPath: string }[] }).additionalPrinterColumns;
    assert.deepEqual(columns('ExternalSecret').map((c) => c.name), ['Store', 'Refresh', 'Status', 'Current', 'Age']);
    assert.equal(columns('ExternalSecret').find((c) => c.name === 'Status')!.jsonPath, '.status.conditions[?(@.type=="Ready")].reason');
    for (const kind of ['SecretStore', 'ClusterSecretStore']) assert.deepEqual(columns(kind).map((c) => c.name), ['Ready', 'Status', 'Age']);
    assert.deepEqual(columns('ClusterExternalSecret').map((c) => c.name), ['Store', 'Refresh', 'Status', 'Age']);
  });

  it('use short names that no built-in Kubernetes 1.32 resource uses', () => {
    // `kubectl api-resources` on a plain 1.32 cluster.
    const builtin = ['cs', 'cm', 'ep', 'ev', 'limits', 'ns', 'no', 'pvc', 'pv', 'po', 'rc', 'quota', 'sa', 'svc', 'crd', 'crds', 'ds', 'deploy', 'rs', 'sts', 'hpa', 'cj', 'csr', 'ing', 'netpol', 'pdb', 'pc', 'sc', 'ingclass'];
    const ours = [...validators.values()].flatMap((x) => (x.crd.spec.names as unknown as { shortNames: string[] }).shortNames);
    assert.deepEqual(ours.filter((s) => builtin.includes(s)), []);
    assert.ok(ours.includes('es') && ours.includes('ss') && ours.includes('css'));
    assert.equal(new Set(ours).size, ours.length, 'short names are unique');
  });

  it('are structural: every node has a type, a description, and objects use either properties or additionalProperties', () => {
    for (const [kind, { schema }] of validators) {
      for (const [path, node] of nodes(schema)) {
        assert.ok(node.type || node['x-kubernetes-preserve-unknown-fields'] || node['x-kubernetes-int-or-string'], `${kind} ${path}: type`);
        assert.ok(!(node.properties && node.additionalProperties), `${kind} ${path}: properties and additionalProperties`);
        if (path !== 'metadata' && path !== '' && !/\[\]$|\{\}$/.test(path)) assert.ok(node.description, `${kind} ${path}: description`);
        if (node.required) for (const r of node.required) assert.ok(node.properties?.[r], `${kind} ${path}: required ${r} is a property`);
      }
      assert.deepEqual(schema.properties!.metadata, { type: 'object' }, 'metadata is left to the API server');
    }
  });

  it('use only what apiextensions.k8s.io/v1 accepts in a structural schema, so an API server neither refuses nor prunes any of it', () => {
    // JSONSchemaProps fields allowed in a structural schema (no $ref, definitions, patternProperties, dependencies, ...).
    const schemaKeys = new Set(['description', 'type', 'format', 'title', 'default', 'maximum', 'exclusiveMaximum', 'minimum', 'exclusiveMinimum', 'maxLength', 'minLength', 'pattern',
      'maxItems', 'minItems', 'multipleOf', 'enum', 'maxProperties', 'minProperties', 'required', 'items', 'allOf', 'oneOf', 'anyOf', 'not', 'properties', 'additionalProperties',
      'example', 'nullable', 'x-kubernetes-preserve-unknown-fields', 'x-kubernetes-embedded-resource', 'x-kubernetes-int-or-string', 'x-kubernetes-list-map-keys',
      'x-kubernetes-list-type', 'x-kubernetes-map-type', 'x-kubernetes-validations']);
    const ruleKeys = new Set(['rule', 'message', 'messageExpression', 'reason', 'fieldPath', 'optionalOldSelf']);
    const reasons = new Set(['FieldValueInvalid', 'FieldValueForbidden', 'FieldValueRequired', 'FieldValueDuplicate']);
    const types = new Set(['object', 'array', 'string', 'integer', 'number', 'boolean']);
    for (const [kind, { crd, schema }] of validators) {
      for (const [path, node] of nodes(schema)) {
        for (const key of Object.keys(node)) assert.ok(schemaKeys.has(key), `${kind} ${path}: ${key}`);
        if (node.type) assert.ok(types.has(node.type), `${kind} ${path}: type ${node.type}`);
        for (const b of ['exclusiveMinimum', 'exclusiveMaximum'] as const) if (b in node) assert.equal(typeof node[b], 'boolean', `${kind} ${path}: ${b}`);
        for (const r of (node['x-kubernetes-validations'] as Record<string, unknown>[] | undefined) ?? []) {
          for (const key of Object.keys(r)) assert.ok(ruleKeys.has(key), `${kind} ${path}: rule key ${key}`);
          if (r.reason !== undefined) assert.ok(reasons.has(r.reason as string), `${kind} ${path}: reason ${String(r.reason)}`);
          if (r.fieldPath !== undefined) {
            // fieldPath must name a field of the schema the rule sits on.
            const target = (r.fieldPath as string).split('.').slice(1).reduce<JsonSchemaProps | undefined>((n, k) => n?.properties?.[k], node);
            assert.ok(target, `${kind} ${path}: fieldPath ${String(r.fieldPath)}`);
          }
        }
        if (node['x-kubernetes-list-type'] === 'map') {
          for (const k of node['x-kubernetes-list-map-keys'] as string[]) assert.ok(node.items?.required?.includes(k), `${kind} ${path}: list map key ${k} is required`);
        }
      }
      const version = crd.spec.versions[0] as unknown as { additionalPrinterColumns: Record<string, unknown>[] };
      for (const c of version.additionalPrinterColumns) {
        for (const key of Object.keys(c)) assert.ok(['name', 'type', 'format', 'description', 'priority', 'jsonPath'].includes(key), `${kind} printer column ${key}`);
        assert.ok(['integer', 'number', 'string', 'boolean', 'date'].includes(c.type as string), `${kind} printer column type ${String(c.type)}`);
      }
    }
  });

  it('give defaults that are valid against their own schema', () => {
    const ajv = new Ajv({ strict: false });
    let count = 0;
    for (const [kind, { schema }] of validators) {
      for (const [path, node] of nodes(schema)) {
        if (node.default === undefined) continue;
        count++;
        assert.ok(ajv.validate(toAjvSchema({ ...node, default: undefined }), node.default), `${kind} ${path}: default ${JSON.stringify(node.default)}`);
      }
    }
    assert.ok(count >= 15, `found ${count} defaults`);
  });

  it('keep CEL rules to standard CEL plus has/size/matches/all/exists/duration, and every rule compiles', () => {
    // duration() is standard CEL too; the API server and the dev cluster's evaluator both have it.
    const allowed = new Set(['has', 'size', 'matches', 'all', 'exists', 'exists_one', 'duration']);
    let count = 0;
    for (const [kind, { schema }] of validators) {
      for (const [path, node] of nodes(schema)) {
        for (const r of (node['x-kubernetes-validations'] as CelRule[] | undefined) ?? []) {
          count++;
          const withoutStrings = r.rule.replace(/'(?:[^'\\]|\\.)*'/g, "''");
          for (const [, fn] of withoutStrings.matchAll(/([A-Za-z_][\w]*)\s*\(/g)) assert.ok(allowed.has(fn!), `${kind} ${path}: ${fn}() in ${r.rule}`);
          assert.doesNotThrow(() => compileRule(r.rule), `${kind} ${path}: ${r.rule}`);
          assert.ok(r.message, `${kind} ${path}: rule has a message`);
        }
      }
    }
    assert.ok(count >= 20, `found ${count} rules`);
  });

  it('apply the defaults of DESIGN §1 to an ExternalSecret', () => {
    const { errors, defaulted } = v('ExternalSecret').validate(externalSecret());
    assert.deepEqual(errors, []);
    const spec = defaulted.spec as { refreshInterval: string; refreshPolicy: string; secretStoreRef: { kind: string }; data: { remoteRef: { decodingStrategy: string } }[]; target: Record<string, unknown> };
    assert.equal(spec.refreshInterval, '1h');
    assert.equal(spec.refreshPolicy, 'Periodic');
    assert.equal(spec.secretStoreRef.kind, 'SecretStore');
    assert.equal(spec.data[0]!.remoteRef.decodingStrategy, 'None');
    assert.deepEqual(spec.target, {
      creationPolicy: 'Owner',
      deletionPolicy: 'Retain',
      versioning: { retain: 2, minRetention: '1h', rollout: 'None', alias: false },
    });
  });

  describe('example manifests', () => {
    const files = yamlFiles(examplesDir);
    it('include one example per provider and the dev demo', () => {
      const providers = new Set<string>();
      for (const f of files) {
        for (const doc of parseAllDocuments(readFileSync(f, 'utf8'))) {
          const o = doc.toJS() as { kind?: string; spec?: { provider?: Record<string, unknown> } };
          if (o?.spec?.provider) for (const p of Object.keys(o.spec.provider)) providers.add(p);
        }
      }
      assert.deepEqual([...providers].sort(), [...PROVIDER_NAMES].sort());
      assert.ok(files.some((f) => f.includes(`${join('examples', 'dev')}`)));
    });
    for (const file of files) {
      it(`${relative(root, file)} validates against the CRDs`, () => {
        let checked = 0;
        for (const doc of parseAllDocuments(readFileSync(file, 'utf8'))) {
          assert.deepEqual(doc.errors, []);
          const obj = doc.toJS() as { apiVersion?: string; kind?: string; metadata?: { name?: string } };
          if (!obj?.apiVersion?.startsWith(`${GROUP}/`)) continue;
          const validator = validators.get(obj.kind!);
          assert.ok(validator, `${obj.kind} is one of keyferry's kinds`);
          assert.deepEqual(validator.validate(obj).errors, [], `${obj.kind}/${obj.metadata?.name}`);
          checked++;
        }
        assert.ok(checked > 0 || file.endsWith('00-namespace.yaml'), 'the file holds keyferry objects');
      });
    }
  });

  describe('rejects what the API server would', () => {
    it('a store with two providers, naming spec.provider', () => {
      const s = fakeStore();
      (s.spec.provider as Record<string, unknown>).vault = { server: 'https://vault:8200', auth: { tokenSecretRef: { name: 't', key: 'token' } } };
      const { errors } = v('SecretStore').validate(s);
      assert.equal(errors.length, 1, errors.join('\n'));
      assert.match(errors[0]!, /^spec\.provider: spec\.provider must set exactly one of/);
    });

    it('a rateLimit outside its bounds (the tenant attack of one call per 10 000 s), in both store kinds', () => {
      const store = (kind: 'SecretStore' | 'ClusterSecretStore') => ({ ...fakeStore(), kind, metadata: kind === 'SecretStore' ? { name: 's', namespace: 'n' } : { name: 's' } });
      for (const kind of ['SecretStore', 'ClusterSecretStore'] as const) {
        for (const [rateLimit, field] of [
          [{ requestsPerSecond: 0.0001 }, 'requestsPerSecond'], [{ requestsPerSecond: 20_000 }, 'requestsPerSecond'],
          [{ burst: 0 }, 'burst'], [{ burst: 50_000 }, 'burst'], [{ maxConcurrent: 1000 }, 'maxConcurrent'],
        ] as const) {
          const s = { ...store(kind), spec: { ...fakeStore().spec, rateLimit } };
          assert.match(v(kind).validate(s).errors.join('\n'), new RegExp(`^spec\\.rateLimit\\.${field}`), `${kind} ${JSON.stringify(rateLimit)}`);
        }
        const least = { ...store(kind), spec: { ...fakeStore().spec, rateLimit: { requestsPerSecond: 0.001, burst: 1, maxConcurrent: 1 } } };
        assert.deepEqual(v(kind).validate(least).errors, [], kind);
      }
    });

    it('a store with no provider', () => {
      const s = fakeStore();
      s.spec.provider = {} as typeof s.spec.provider;
      assert.match(v('SecretStore').validate(s).errors.join('\n'), /^spec\.provider: .*exactly one/);
    });

    it('bad durations, naming the field', () => {
      for (const bad of ['1 hour', '1d', '-5m', '', 'h', '1.h']) {
        const es = externalSecret();
        es.spec.refreshInterval = bad;
        assert.deepEqual(v('ExternalSecret').validate(es).errors, ['spec.refreshInterval: spec.refreshInterval must be a Go duration such as 30s, 15m, 1h or 1h30m (or 0)'], bad);
      }
      const es = externalSecret();
      es.spec.target = { versioning: { minRetention: 'soon', maxAge: '30 days' } };
      assert.deepEqual(v('ExternalSecret').validate(es).errors.sort(), [
        'spec.target.versioning.maxAge: target.versioning.maxAge must be a Go duration such as 30s, 15m, 1h or 1h30m (or 0)',
        'spec.target.versioning.minRetention: target.versioning.minRetention must be a Go duration such as 30s, 15m, 1h or 1h30m (or 0)',
      ]);
      const s = fakeStore() as ReturnType<typeof fakeStore> & { spec: { refreshInterval?: string } };
      s.spec.refreshInterval = '10 minutes';
      assert.match(v('SecretStore').validate(s).errors.join('\n'), /^spec\.refreshInterval: /);
      const c = fakeStore() as ReturnType<typeof fakeStore> & { spec: { cache?: { latestTTL?: string } } };
      c.spec.cache = { latestTTL: '5 s' };
      assert.deepEqual(v('SecretStore').validate(c).errors, ['spec.cache.latestTTL: spec.cache.latestTTL must be a Go duration such as 500ms, 5s or 1m (or 0)']);
      c.spec.cache = { latestTTL: '0' };
      assert.deepEqual(v('SecretStore').validate(c).errors, []);
    });

    it('accepts good durations', () => {
      for (const good of ['0', '0s', '1s', '1000ms', '30s', '1h30m', '1.5h', '720h', '2h45m30.5s']) {
        const es = externalSecret();
        es.spec.refreshInterval = good;
        assert.deepEqual(v('ExternalSecret').validate(es).errors, [], good);
      }
    });

    it('a refreshInterval under 1s, other than 0, naming the minimum', () => {
      for (const bad of ['1ns', '1ms', '999ms', '0.5s']) {
        const es = externalSecret();
        es.spec.refreshInterval = bad;
        assert.deepEqual(v('ExternalSecret').validate(es).errors, ['spec.refreshInterval: spec.refreshInterval must be at least 1s, or 0 to read once and never refresh'], bad);
      }
    });

    it('a ClusterSecretStore credential reference without a namespace, naming the field', () => {
      assert.deepEqual(v('ClusterSecretStore').validate(awsClusterStore()).errors, []);
      const s = awsClusterStore();
      delete (s.spec.provider.aws.auth.secretRef.secretAccessKeySecretRef as { namespace?: string }).namespace;
      assert.deepEqual(v('ClusterSecretStore').validate(s).errors, [
        'spec.provider.aws.auth.secretRef.secretAccessKeySecretRef.namespace: a ClusterSecretStore credential reference must name a namespace',
      ]);
      // The same reference is fine in a namespaced SecretStore.
      const ns = { ...clone(s), kind: 'SecretStore', metadata: { name: 'aws', namespace: 'n' } };
      assert.deepEqual(v('SecretStore').validate(ns).errors, []);
    });

    it('every reference in a ClusterSecretStore provider block requires a namespace', () => {
      const schema = v('ClusterSecretStore').schema.properties!.spec!.properties!.provider!;
      const refs = [...nodes(schema)].filter(([path]) => /(SecretRef|serviceAccountRef|secretRef|credConfig|caProvider|clientId|clientSecret|clientCertificate)$/.test(path));
      const leafRefs = refs.filter(([, n]) => n.properties?.name && n.properties?.namespace);
      assert.ok(leafRefs.length >= 15, `found ${leafRefs.length}`);
      for (const [path, node] of leafRefs) {
        const errs = celErrors(node, { name: 'x', key: 'k', type: 'Secret' }, path);
        assert.deepEqual(errs, [`${path}.namespace: a ClusterSecretStore credential reference must name a namespace`]);
      }
    });

    it('an invalid target.name and an unknown field', () => {
      const es = externalSecret();
      es.spec.target = { name: 'My_Secret' };
      assert.match(v('ExternalSecret').validate(es).errors.join('\n'), /^spec\.target\.name: target\.name must be a DNS-1123 subdomain/);
      const es2 = externalSecret();
      es2.spec.refreshIntervall = '1h';
      assert.deepEqual(v('ExternalSecret').validate(es2).errors, ['spec.refreshIntervall: unknown field']);
    });

    it('a dataFrom entry with both extract and find, and an ExternalSecret with no data', () => {
      const es = externalSecret();
      es.spec.dataFrom = [{ extract: { key: 'a' }, find: { name: { regexp: '.*' } } }];
      assert.match(v('ExternalSecret').validate(es).errors.join('\n'), /^spec\.dataFrom\[0\]: a dataFrom entry must set exactly one of: extract, find/);
      const empty = externalSecret();
      delete empty.spec.data;
      assert.match(v('ExternalSecret').validate(empty).errors.join('\n'), /^spec\.data: spec needs at least one data or dataFrom entry/);
    });

    it('provider-specific rules: Vault auth, Azure service principal, onepassword vault priorities', () => {
      const vault = fakeStore();
      vault.spec.provider = { vault: { server: 'https://vault:8200', auth: {} } } as unknown as typeof vault.spec.provider;
      assert.match(v('SecretStore').validate(vault).errors.join('\n'), /spec\.provider\.vault\.auth: auth must set exactly one of: tokenSecretRef, appRole, kubernetes/);
      const azure = fakeStore();
      azure.spec.provider = { azurekv: { vaultUrl: 'https://v.vault.azure.net' } } as unknown as typeof azure.spec.provider;
      assert.deepEqual(v('SecretStore').validate(azure).errors.sort(), [
        'spec.provider.azurekv.authSecretRef: authType ServicePrincipal needs authSecretRef with clientId and clientSecret or clientCertificate',
        'spec.provider.azurekv.tenantId: authType ServicePrincipal needs tenantId',
      ]);
      const wi = fakeStore();
      wi.spec.provider = { azurekv: { authType: 'WorkloadIdentity', vaultUrl: 'https://v.vault.azure.net', authSecretRef: { clientId: { name: 'a', key: 'id' } }, serviceAccountRef: { name: 'sa' } } } as unknown as typeof wi.spec.provider;
      assert.deepEqual(v('SecretStore').validate(wi).errors, [], 'WorkloadIdentity may take only clientId from authSecretRef');
      const appRole = fakeStore();
      appRole.spec.provider = { vault: { server: 'https://vault:8200', auth: { appRole: { secretRef: { name: 'a', key: 's' } } } } } as unknown as typeof appRole.spec.provider;
      assert.deepEqual(v('SecretStore').validate(appRole).errors, ['spec.provider.vault.auth.appRole: appRole must set exactly one of: roleId, roleRef']);
      const ca = fakeStore();
      ca.spec.provider = { aws: { region: 'eu-west-1', caBundle: 'Zm9v', caProvider: { type: 'Secret', name: 'ca', key: 'ca.crt' } } } as unknown as typeof ca.spec.provider;
      assert.deepEqual(v('SecretStore').validate(ca).errors, ['spec.provider.aws: aws takes at most one of: caBundle, caProvider']);
      const op = fakeStore();
      op.spec.provider = { onepassword: { connectHost: 'http://op:8080', vaults: { prod: 'first' }, auth: { secretRef: { connectTokenSecretRef: { name: 'op', key: 't' } } } } } as unknown as typeof op.spec.provider;
      assert.match(v('SecretStore').validate(op).errors.join('\n'), /spec\.provider\.onepassword\.vaults\.prod: must be integer/);
    });

    it('a namespaced metadata.namespace on a ClusterSecretStore', () => {
      const s = awsClusterStore() as ReturnType<typeof awsClusterStore> & { metadata: { namespace?: string } };
      s.metadata.namespace = 'x';
      assert.deepEqual(v('ClusterSecretStore').validate(s).errors, ['metadata.namespace: must be empty for a cluster-scoped kind']);
    });
  });

  it('validators are built from the storage version of each CRD', () => {
    for (const { crd } of validators.values()) assert.equal(storageVersion(crd).name, VERSION);
    assert.equal(createValidator(v('SecretStore').crd).kind, 'SecretStore');
  });
});

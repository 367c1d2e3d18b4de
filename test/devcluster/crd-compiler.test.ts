import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { compileCrd } from '../../src/devcluster/crd/index.js';
import { isApiError } from '../../src/devcluster/api-error.js';
import type { KubeObject, ResourceType } from '../../src/devcluster/resource-type.js';

const crdFile = (f: string) => parseYaml(readFileSync(new URL(`../../manifests/crds/${f}.yaml`, import.meta.url), 'utf8')) as KubeObject;

const GADGET: KubeObject = {
  apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: 'gadgets.test.keyferry.io' },
  spec: {
    group: 'test.keyferry.io', scope: 'Cluster',
    names: { kind: 'Gadget', plural: 'gadgets', shortNames: ['gd'] },
    versions: [
      { name: 'v1', served: true, storage: true, subresources: { status: {} }, additionalPrinterColumns: [{ name: 'Size', type: 'integer', jsonPath: '.spec.size' }],
        schema: { openAPIV3Schema: {
          type: 'object',
          properties: {
            metadata: { type: 'object' },
            spec: {
              type: 'object', required: ['size'],
              'x-kubernetes-validations': [
                { rule: 'self.size + 1 <= 11', messageExpression: "'size ' + string(self.size) + ' is too big'" },
                { rule: 'self.mode == oldSelf.mode', message: 'mode is immutable', fieldPath: '.mode' },
              ],
              properties: {
                size: { type: 'integer', minimum: 0 },
                mode: { type: 'string', enum: ['A', 'B'], default: 'A' },
                port: { 'x-kubernetes-int-or-string': true },
                note: { type: 'string', nullable: true },
                extra: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
                template: { type: 'object', 'x-kubernetes-embedded-resource': true, properties: { spec: { type: 'object', properties: { a: { type: 'string' } } } } },
                tags: { type: 'array', items: { type: 'string', 'x-kubernetes-validations': [{ rule: "self.startsWith('t-')", message: 'tags start with t-', reason: 'FieldValueForbidden' }] } },
              },
            },
          },
        } } },
      { name: 'v0', served: false, storage: false, schema: { openAPIV3Schema: { type: 'object' } } },
    ],
  },
};

function problems(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    assert.ok(isApiError(e), String(e));
    return e.message;
  }
  throw new Error('expected the CRD to be refused');
}

const check = (t: ResourceType, obj: KubeObject, old?: KubeObject) => {
  t.applyDefaults!(obj);
  return t.validate!(obj, old, []);
};

describe('dev cluster CRD compiler', function () {
  this.timeout(20_000);
  const [gadget] = compileCrd(GADGET);
  const base = (spec: Record<string, unknown>): KubeObject => ({ apiVersion: 'test.keyferry.io/v1', kind: 'Gadget', metadata: { name: 'g', labels: { a: 'b' } }, spec });

  it('serves each served version with names, scope, subresources and printer columns', () => {
    assert.equal(compileCrd(GADGET).length, 1);
    assert.deepEqual([gadget.kind, gadget.listKind, gadget.singular, gadget.namespaced, gadget.shortNames, gadget.subresources], ['Gadget', 'GadgetList', 'gadget', false, ['gd'], ['status']]);
    assert.equal(gadget.printerColumns[0].jsonPath, '.spec.size');
  });

  it('applies defaults, prunes unknown fields (keeping metadata and embedded objects\' apiVersion/kind/metadata)', () => {
    const obj = base({ size: 1, bogus: 1, extra: { any: { thing: 1 } }, template: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { a: 'x', b: 'pruned' } } });
    (obj as Record<string, unknown>).topLevelJunk = true;
    assert.deepEqual(check(gadget, obj), []);
    assert.deepEqual(obj.spec, { size: 1, mode: 'A', extra: { any: { thing: 1 } }, template: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { a: 'x' } } });
    assert.deepEqual(obj.metadata, { name: 'g', labels: { a: 'b' } });
    assert.equal((obj as Record<string, unknown>).topLevelJunk, undefined);
  });

  it('schema errors carry full field paths and API-server wording', () => {
    assert.deepEqual(check(gadget, base({ mode: 'C', size: -1, port: 1.5, note: null })).map((e) => `${e.field}: ${e.message}`).sort(), [
      // An unsupported value blocks the CEL rules, which the API server says.
      '<nil>: Invalid value: null: some validation rules were not checked because the object was invalid; correct the existing errors to complete validation',
      'spec.mode: Unsupported value: "C": supported values: "A", "B"',
      'spec.port: Invalid value: "number": spec.port in body must be of type integer,string: "number"',
      'spec.size: Invalid value: -1: spec.size in body should be greater than or equal to 0',
    ]);
    assert.deepEqual(check(gadget, base({})).map((e) => e.field), ['spec.size', '<nil>']);
    assert.deepEqual(check(gadget, base({}))[0], { field: 'spec.size', type: 'FieldValueRequired', message: 'Required value' });
    assert.deepEqual(check(gadget, base({ size: 1, port: 'http' })), []);
  });

  it('CEL rules: ints, messageExpression, transition rules with oldSelf, rules inside list items', () => {
    assert.deepEqual(check(gadget, base({ size: 11 })), [{ field: 'spec', type: 'FieldValueInvalid', message: 'Invalid value: "object": size 11 is too big' }]);
    assert.deepEqual(check(gadget, base({ size: 1, mode: 'B' })), [], 'transition rules do not run on create');
    assert.deepEqual(check(gadget, base({ size: 1, mode: 'B' }), base({ size: 1, mode: 'A' })), [{ field: 'spec.mode', type: 'FieldValueInvalid', message: 'Invalid value: "object": mode is immutable' }]);
    assert.deepEqual(check(gadget, base({ size: 1, tags: ['t-1', 'x'] })), [{ field: 'spec.tags[1]', type: 'FieldValueForbidden', message: 'Forbidden: tags start with t-' }]);
  });

  it('refuses broken CRDs with every problem named', () => {
    const broken = structuredClone(GADGET) as { metadata: { name: string }; spec: { scope: string; names: { plural: string }; versions: { storage: boolean; schema: { openAPIV3Schema: { properties: { spec: { 'x-kubernetes-validations': { rule: string }[] } } } }; additionalPrinterColumns?: { jsonPath: string }[] }[] } };
    broken.spec.scope = 'Global';
    broken.spec.versions[0].schema.openAPIV3Schema.properties.spec['x-kubernetes-validations'][0].rule = 'self.size +';
    broken.spec.versions[0].additionalPrinterColumns![0].jsonPath = '.spec[';
    broken.spec.versions[1].storage = true;
    const message = problems(() => compileCrd(broken as unknown as KubeObject));
    assert.match(message, /^CustomResourceDefinition\.apiextensions\.k8s\.io "gadgets\.test\.keyferry\.io" is invalid: \[/);
    assert.match(message, /spec\.scope: Unsupported value: "Global"/);
    assert.match(message, /spec\.versions: Invalid value: .*exactly one version marked as storage version/);
    assert.match(message, /spec\.versions\[0\]\.schema\.openAPIV3Schema\.properties\[spec\]\.x-kubernetes-validations\[0\]\.rule: Invalid value: "self\.size \+": compilation failed/);
    assert.match(message, /spec\.versions\[0\]\.additionalPrinterColumns\[0\]\.jsonPath: Invalid value/);
    assert.match(problems(() => compileCrd({ ...GADGET, metadata: { name: 'wrong' } })), /metadata\.name: Invalid value: "wrong": must be spec\.names\.plural\+"\."\+spec\.group/);
    assert.match(problems(() => compileCrd({ ...GADGET, spec: {} })), /spec\.group: Required value/);
  });

  it('compiles keyferry\'s own CRDs and enforces their rules', () => {
    const [es] = compileCrd(crdFile('externalsecret'));
    const [ss] = compileCrd(crdFile('secretstore'));
    assert.deepEqual(compileCrd(crdFile('clustersecretstore')).map((t) => [t.kind, t.namespaced]), [['ClusterSecretStore', false]]);
    const good = { apiVersion: 'keyferry.io/v1alpha1', kind: 'ExternalSecret', metadata: { name: 'db', namespace: 'default' }, spec: { secretStoreRef: { name: 's' }, target: { name: 'db' }, data: [{ secretKey: 'k', remoteRef: { key: 'k' } }] } };
    assert.deepEqual(check(es, structuredClone(good)), []);
    const bad = structuredClone(good) as typeof good & { spec: { refreshInterval?: string } };
    bad.spec.refreshInterval = 'soon';
    assert.deepEqual(check(es, bad).map((e) => e.field), ['spec.refreshInterval']);
    const two = { apiVersion: 'keyferry.io/v1alpha1', kind: 'SecretStore', metadata: { name: 's' }, spec: { provider: { fake: {}, aws: { region: 'eu-west-1' } } } };
    assert.deepEqual(check(ss, two).map((e) => e.field), ['spec.provider']);
  });
});

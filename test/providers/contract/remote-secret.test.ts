// Reading a property of a remote secret: only the secret's own entries are properties; a
// name a plain object inherits (`constructor`, `__proto__`, `toString`, ...) is not found,
// never a function or a prototype handed on as a value.
import assert from 'node:assert/strict';
import { extractAll, isProviderError, selectProperty, type RemoteSecret } from '../../../providers/contract/index.js';

const INHERITED = ['constructor', '__proto__', 'toString', 'hasOwnProperty', '__proto__.toString', 'a.constructor', 'a.__proto__'];
const json = (text: string): RemoteSecret => ({ value: Buffer.from(text) });
const withFields = (fields: Record<string, string>): RemoteSecret => ({
  value: Buffer.from(''),
  // defineProperty semantics, as a provider decoding a JSON map gets: a `__proto__` entry stays an entry.
  fields: Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, Buffer.from(v)])),
});

describe('selectProperty and extractAll', () => {
  for (const [what, secret] of [['a JSON value', json('{"a":{"b":1}}')], ['a map of fields', withFields({ a: '{"b":1}' })]] as const) {
    it(`a property named after what an object inherits is not found in ${what}`, () => {
      for (const property of INHERITED) {
        assert.throws(() => selectProperty(secret, 'db', property), (e: unknown) => isProviderError(e) && e.kind === 'NotFound' && e.message === `property "${property}" not found in remote secret "db"`, property);
      }
    });
  }

  it('an own entry of such a name is read like any other', () => {
    const fromJson = json('{"constructor":"c","toString":"t","__proto__":"p","a":{"hasOwnProperty":"h"}}');
    const fromFields = withFields(JSON.parse('{"constructor":"c","toString":"t","__proto__":"p","a":"{\\"hasOwnProperty\\":\\"h\\"}"}') as Record<string, string>);
    for (const secret of [fromJson, fromFields]) {
      assert.deepEqual(['constructor', 'toString', '__proto__', 'a.hasOwnProperty'].map((p) => selectProperty(secret, 'db', p).toString()), ['c', 't', 'p', 'h']);
    }
    assert.deepEqual(Object.keys(extractAll(fromFields, 'db')), ['constructor', 'toString', '__proto__', 'a']);
  });
});

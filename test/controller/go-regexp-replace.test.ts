// rewrite.regexp gives what ESO (Go's regexp.ReplaceAllString) gives. Each expected key below
// was produced by Go 1.26's regexp package for the same pattern, input and template.
import assert from 'node:assert/strict';
import { compileUserPattern } from '../../src/controller/user-pattern.js';

const cases: Array<[pattern: string, input: string, template: string, go: string]> = [
  ['(.*)', 'user', 'db_$1', 'db_user'],
  ['(.*)', '', 'db_$1', 'db_'],
  ['a*', 'baaac', 'X', 'XbXcX'],
  ['a*', '', 'X', 'X'],
  ['x*', 'abc', '-', '-a-b-c-'],
  ['^', 'abc', '>', '>abc'],
  ['$', 'abc', '<', 'abc<'],
  ['(\\w+)-(\\w+)', 'db-user', '$2_$1', 'db'],
  ['(\\w+)-(\\w+)', 'db-user', '$1_suffix', ''],
  ['(\\w+)-(\\w+)', 'db-user', '${1}_suffix', 'db_suffix'],
  ['(?P<env>[a-z]+)/(?P<key>.+)', 'prod/password', '${key}-$env', 'password-prod'],
  ['(?P<env>[a-z]+)/(?P<key>.+)', 'prod/password', '$missing|$3|${9}|$$|$|$-|${1|$01|$0', '|||$|$|$-|${1||prod/password'],
  ['/', 'a/b/c', '_', 'a_b_c'],
  ['(a)|(b)', 'ab', '[$1:$2]', '[a:][:b]'],
  ['é+', 'aééb', 'É', 'aÉb'],
  ['(.)', '😀x', '<$1>', '<😀><x>'],
  ['', '😀x', '-', '-😀-x-'],
  ['(b*)', 'abba', '[$1]', '[]a[bb]a[]'],
  ['(?i)PATH', 'my/path/Path', 'p', 'my/p/p'],
  ['(\\d+)', 'v10 v2', 'n${1}0$10', 'vn100 vn20'],
  ['(x)', 'x', '$１', ''],
  ['(x)(?P<n_1>y)', 'xy', '${n_1}$n_1.$n', 'yy.'],
  ['(?P<a>x)', 'x', '$constructor${__proto__}$toString|', '|'],
];

describe('rewrite.regexp replacement (Go regexp.ReplaceAllString)', () => {
  it('gives the keys Go gives: empty matches after a match, $name/${name}, $$, malformed references', () => {
    for (const [pattern, input, template, go] of cases) {
      assert.equal(compileUserPattern(pattern).replaceAll(input, template), go, `${pattern} on ${JSON.stringify(input)} with ${JSON.stringify(template)}`);
    }
  });
});

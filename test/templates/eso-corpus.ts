// Template behaviours of External Secrets Operator's engine v2, written from ESO's public
// documentation ("Advanced Templating v2", its helper-function table and its migration notes)
// and sprig's: each case is a template over data, and the output it must give or the error it
// must raise. PKCS#12 and JWK cases get their fixtures at test time (eso-corpus.test.ts).
import type { TemplateErrorKind } from '../../src/templates/template-render-error.js';

export interface CorpusCase {
  name: string;
  template: string;
  data: Record<string, string | Buffer>;
  /** The rendered output, byte for byte. */
  output?: string | Buffer;
  /** Or the error: its kind and a pattern its message matches. */
  error?: { kind: TemplateErrorKind; message: RegExp };
}

const JSON_DOC = '{"user":"app","roles":["read","write"],"port":5432}';

export const STATIC_CASES: CorpusCase[] = [
  // Values and the data map
  { name: 'a value by key', template: 'user={{ .user }}', data: { user: 'app' }, output: 'user=app' },
  { name: 'values are strings: no toString needed, toString still works', template: '{{ .user }}/{{ .user | toString }}', data: { user: 'app' }, output: 'app/app' },
  { name: 'a multiline config file (ESO docs: Grafana datasource)', template: 'datasources:\n- name: Graphite\n  password: "{{ .password }}"\n  user: "{{ .user }}"\n', data: { password: 'pw', user: 'admin' }, output: 'datasources:\n- name: Graphite\n  password: "pw"\n  user: "admin"\n' },
  { name: 'replace rewrites a URL scheme (ESO docs)', template: '{{ .dburl | replace "postgres://" "postgresql://" }}', data: { dburl: 'postgres://db:5432/app' }, output: 'postgresql://db:5432/app' },
  { name: 'a key with a dash is read with index (ESO docs)', template: '{{ index . "service-account-token" }}', data: { 'service-account-token': 'tok' }, output: 'tok' },
  { name: 'a key with a dash as a field does not parse', template: '{{ .service-account-token }}', data: { 'service-account-token': 'tok' }, error: { kind: 'Parse', message: /^template: t:1: bad character U\+002D '-'$/ } },
  { name: 'a missing key is an error, not an empty string (ESO docs)', template: '{{ .nope }}', data: { user: 'app' }, error: { kind: 'MissingKey', message: /^refers to "nope", which is not among the fetched keys$/ } },
  { name: 'a missing key inside if is an error too', template: '{{ if .nope }}x{{ end }}', data: {}, error: { kind: 'MissingKey', message: /"nope"/ } },
  { name: 'binary values pass through byte for byte', template: '{{ .bin }}{{ "" }}', data: { bin: Buffer.from([0xff, 0x00, 0xfe, 0x0a]) }, output: Buffer.from([0xff, 0x00, 0xfe, 0x0a]) },
  { name: 'Helm-style escaping with a raw string (ESO docs)', template: '{{ `{{ .mysecret }}` }}', data: { mysecret: 's' }, output: '{{ .mysecret }}' },
  { name: 'whitespace trimming markers', template: 'a  {{- .x -}}  b', data: { x: 'X' }, output: 'aXb' },

  // base64
  { name: 'b64dec decodes', template: '{{ .password | b64dec }}', data: { password: Buffer.from('s3cr3t').toString('base64') }, output: 's3cr3t' },
  { name: 'b64enc encodes', template: '{{ .password | b64enc }}', data: { password: 's3cr3t' }, output: Buffer.from('s3cr3t').toString('base64') },
  { name: 'b64dec errors are silenced: the output is the decoder\'s message (ESO migration notes, sprig)', template: '{{ .x | b64dec }}', data: { x: 'not base64!' }, output: 'illegal base64 data at input byte 3' },
  { name: 'b32enc and b32dec', template: '{{ .x | b32enc }}|{{ .x | b32enc | b32dec }}', data: { x: 'hi' }, output: 'NBUQ====|hi' },

  // JSON and YAML
  { name: 'fromJson reads a field', template: '{{ (.cfg | fromJson).user }}', data: { cfg: JSON_DOC }, output: 'app' },
  { name: 'fromJson then toJson sorts keys', template: '{{ .cfg | fromJson | toJson }}', data: { cfg: JSON_DOC }, output: '{"port":5432,"roles":["read","write"],"user":"app"}' },
  { name: 'fromJson errors are silenced: nothing, which toJson writes as null (ESO migration notes, sprig)', template: '{{ .cfg | fromJson | toJson }}', data: { cfg: '{not json' }, output: 'null' },
  { name: 'toPrettyJson indents', template: '{{ dict "a" 1 | toPrettyJson }}', data: {}, output: '{\n  "a": 1\n}' },
  { name: 'toRawJson does not escape HTML', template: '{{ dict "a" "<b>" | toRawJson }}', data: {}, output: '{"a":"<b>"}' },
  { name: 'toJson escapes HTML as Go does', template: '{{ dict "a" "<b>" | toJson }}', data: {}, output: '{"a":"\\u003cb\\u003e"}' },
  { name: 'toYaml marshals without the final newline', template: '{{ .cfg | fromJson | toYaml }}', data: { cfg: JSON_DOC }, output: 'port: 5432\nroles:\n- read\n- write\nuser: app' },
  { name: 'fromYaml reads a mapping', template: '{{ (.y | fromYaml).db.host }}', data: { y: 'db:\n  host: pg\n  port: 5432\n' }, output: 'pg' },
  { name: 'fromYaml then toJson', template: '{{ .y | fromYaml | toJson }}', data: { y: 'b: 2\na: [1, x]\n' }, output: '{"a":[1,"x"],"b":2}' },

  // Control flow
  { name: 'range over a JSON list with an index', template: '{{ range $i, $r := (.cfg | fromJson).roles }}{{ if $i }},{{ end }}{{ $r }}{{ end }}', data: { cfg: JSON_DOC }, output: 'read,write' },
  { name: 'range over a map visits keys in sorted order', template: '{{ range $k, $v := (.cfg | fromJson) }}{{ $k }};{{ end }}', data: { cfg: JSON_DOC }, output: 'port;roles;user;' },
  { name: 'range over the data map itself', template: '{{ range $k, $v := . }}{{ $k }}={{ $v }}\n{{ end }}', data: { b: '2', a: '1' }, output: 'a=1\nb=2\n' },
  { name: 'range with else on an empty list', template: '{{ range list }}x{{ else }}empty{{ end }}', data: {}, output: 'empty' },
  { name: 'if / else if / else', template: '{{ if eq .env "prod" }}P{{ else if eq .env "stage" }}S{{ else }}D{{ end }}', data: { env: 'stage' }, output: 'S' },
  { name: 'an empty string is false', template: '{{ if .x }}set{{ else }}empty{{ end }}', data: { x: '' }, output: 'empty' },
  { name: 'with rebinds the dot', template: '{{ with (.cfg | fromJson) }}{{ .user }}@{{ .port }}{{ end }}', data: { cfg: JSON_DOC }, output: 'app@5432' },
  { name: 'variables and printf', template: '{{ $u := .user }}{{ printf "%s:%s" $u .pass }}', data: { user: 'u', pass: 'p' }, output: 'u:p' },
  { name: 'define and template', template: '{{ define "dsn" }}{{ .user }}@db{{ end }}url={{ template "dsn" . }}', data: { user: 'u' }, output: 'url=u@db' },
  { name: 'a template that writes nothing gives an empty value', template: '{{ if false }}x{{ end }}', data: {}, output: '' },
  { name: 'comments write nothing', template: 'a{{/* note */}}b', data: {}, output: 'ab' },

  // sprig strings, lists, dicts, defaults, hashes
  { name: 'upper, lower, title', template: '{{ .x | upper }} {{ .x | lower }} {{ .x | title }}', data: { x: 'heLLo' }, output: 'HELLO hello HeLLo' },
  { name: 'trim, trimPrefix, trimSuffix', template: '[{{ .x | trim }}][{{ "v1.2" | trimPrefix "v" }}][{{ "a.txt" | trimSuffix ".txt" }}]', data: { x: '  p  ' }, output: '[p][1.2][a]' },
  { name: 'quote and squote', template: '{{ .x | quote }} {{ .x | squote }}', data: { x: 'a"b' }, output: '"a\\"b" \'a"b\'' },
  { name: 'default replaces an empty value', template: '{{ .x | default "fallback" }}', data: { x: '' }, output: 'fallback' },
  { name: 'contains, hasPrefix, hasSuffix', template: '{{ contains "ell" .x }} {{ hasPrefix "he" .x }} {{ hasSuffix "x" .x }}', data: { x: 'hello' }, output: 'true true false' },
  { name: 'split, join, splitList', template: '{{ .x | splitList "," | join ";" }}', data: { x: 'a,b,c' }, output: 'a;b;c' },
  { name: 'trunc, abbrev, repeat, indent, nindent', template: '{{ .x | trunc 3 }}|{{ repeat 2 "ab" }}|{{ "x" | indent 2 }}|{{ "y" | nindent 1 }}', data: { x: 'abcdef' }, output: 'abc|abab|  x|\n y' },
  { name: 'regexReplaceAll and regexMatch', template: '{{ regexReplaceAll "[0-9]+" .x "N" }} {{ regexMatch "^a" .x }}', data: { x: 'a1b22' }, output: 'aNbN true' },
  { name: 'sha256sum and sha1sum', template: '{{ .x | sha256sum }} {{ .x | sha1sum }}', data: { x: 'abc' }, output: 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad a9993e364706816aba3e25717850c26c9cd0d89d' },
  { name: 'dict, get, set, keys sorted', template: '{{ $d := dict "b" 2 "a" 1 }}{{ $_ := set $d "c" 3 }}{{ get $d "a" }} {{ keys $d | sortAlpha | join "," }}', data: {}, output: '1 a,b,c' },
  { name: 'list, first, last, len, has', template: '{{ $l := list "x" "y" "z" }}{{ first $l }}{{ last $l }}{{ len $l }}{{ has "y" $l }}', data: {}, output: 'xz3true' },
  { name: 'math: add, mul, atoi', template: '{{ add 1 2 }} {{ mul 3 4 }} {{ .n | atoi | add 1 }}', data: { n: '41' }, output: '3 12 42' },
  { name: 'atoi of a non-number is 0 (sprig)', template: '{{ .n | atoi }}', data: { n: 'abc' }, output: '0' },
  { name: 'ternary and coalesce', template: '{{ ternary "y" "n" true }} {{ coalesce "" .x "z" }}', data: { x: 'x' }, output: 'y x' },
  { name: 'fail stops the render; its text is withheld', template: '{{ fail .x }}', data: { x: 'planted-value' }, error: { kind: 'Execution', message: /^template: t:1:3: executing "t" at <fail \.x>: error calling fail \(details withheld/ } },
  { name: 'urlquery and urlParse', template: '{{ .x | urlquery }} {{ (urlParse "https://h:1/p").host }}', data: { x: 'a b&c' }, output: 'a+b%26c h:1' },

  // What ESO removed or what reaches outside
  { name: 'env is removed (ESO)', template: '{{ env "HOME" }}', data: {}, error: { kind: 'Parse', message: /function "env" not defined/ } },
  { name: 'expandenv is removed (ESO)', template: '{{ expandenv "$HOME" }}', data: {}, error: { kind: 'Parse', message: /function "expandenv" not defined/ } },
  { name: 'getHostByName is removed: no DNS', template: '{{ getHostByName "example.com" }}', data: {}, error: { kind: 'Parse', message: /function "getHostByName" not defined/ } },
  { name: 'v1 names are not v2 functions: base64decode', template: '{{ .x | base64decode }}', data: { x: 'eA==' }, error: { kind: 'Parse', message: /function "base64decode" not defined/ } },
  { name: 'v1 names are not v2 functions: pemCertificate', template: '{{ .x | pemCertificate }}', data: { x: '' }, error: { kind: 'Parse', message: /function "pemCertificate" not defined/ } },
  { name: 'an unterminated action does not parse', template: '{{ .x ', data: { x: '' }, error: { kind: 'Parse', message: /^template: t:1: unclosed action$/ } },
  { name: 'a wrong argument count names the function', template: '{{ replace "a" .x }}', data: { x: 'planted-value' }, error: { kind: 'Execution', message: /wrong number of args for replace/ } },
];

/**
 * A whole `target.template` rendered over data, for what ESO's engine v2 does beyond one
 * template: `metadata` label and annotation values are templates too (keys as given), over
 * the same data as `data`, after templateFrom and data (ESO's applyTemplate order).
 */
export interface SpecCase {
  name: string;
  template: Record<string, unknown>;
  data: Record<string, string>;
  /** What the rendered Secret holds (only the parts given are compared). */
  output?: { data?: Record<string, string>; labels?: Record<string, string>; annotations?: Record<string, string> };
  /** Or the error: its class name and a pattern its message matches. */
  error?: { name: 'SpecError' | 'TemplateSyntaxError' | 'Error'; message: RegExp };
}

export const SPEC_CASES: SpecCase[] = [
  { name: 'metadata: an annotation value is a template over the fetched keys (ESO docs: IBM provider metadata)', template: { data: { secret: '{{ .password }}' }, metadata: { annotations: { secret_id: '{{ .id }}', updated_at: '{{ .updated_at }}' } } }, data: { password: 'pw', id: 'abc-1', updated_at: '2024-01-02' }, output: { data: { secret: 'pw' }, annotations: { secret_id: 'abc-1', updated_at: '2024-01-02' } } },
  { name: 'metadata: a label value renders with functions, over the same data as data', template: { data: { pw: '{{ .password }}' }, metadata: { labels: { env: '{{ .env | lower | replace "_" "-" }}', digest: '{{ .password | sha256sum | trunc 8 }}' } } }, data: { password: 'abc', env: 'Prod_EU' }, output: { labels: { env: 'prod-eu', digest: 'ba7816bf' } } },
  { name: 'metadata: a value without an action is written as given, keys as given', template: { metadata: { labels: { 'app.kubernetes.io/part-of': 'shop' }, annotations: { 'example.com/note': 'free text: {not a template}' } } }, data: { x: '1' }, output: { labels: { 'app.kubernetes.io/part-of': 'shop' }, annotations: { 'example.com/note': 'free text: {not a template}' } } },
  { name: 'metadata: with no data or templateFrom the fetched keys are the data, and metadata still renders', template: { metadata: { labels: { owner: '{{ .owner }}' } } }, data: { owner: 'team-a', password: 'pw' }, output: { data: { owner: 'team-a', password: 'pw' }, labels: { owner: 'team-a' } } },
  { name: 'metadata: overrides what a templateFrom literal writes to labels and annotations (ESO order)', template: { templateFrom: [{ literal: 'team: "{{ .owner }}"\nkeep: "x"', target: 'Labels' }], metadata: { labels: { team: '{{ .owner | upper }}' } } }, data: { owner: 'a' }, output: { labels: { team: 'A', keep: 'x' } } },
  { name: 'metadata: a key the data lacks is an error naming the label (missingkey=error, as data)', template: { metadata: { labels: { env: '{{ .nope | lower }}' } } }, data: { env: 'x' }, error: { name: 'SpecError', message: /^spec\.target\.template\.metadata\.labels\["env"\]: refers to "nope", which is not among the fetched keys$/ } },
  { name: 'metadata: a value that does not parse is an error naming the annotation', template: { metadata: { annotations: { note: '{{ .x | nosuch }}' } } }, data: { x: '1' }, error: { name: 'TemplateSyntaxError', message: /^spec\.target\.template\.metadata\.annotations\["note"\]: template: note:1: function "nosuch" not defined$/ } },
];

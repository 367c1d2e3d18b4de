// Go's `regexp.ReplaceAllString` over an RE2 pattern, as External Secrets Operator applies a
// `rewrite.regexp` with it: a manifest written for ESO must give the same keys here. Two rules
// differ from String.prototype.replace (and from re2js's own replaceAll):
//   - an empty match right after the previous match is not replaced (`(.*)` on "user" gives
//     one replacement, not a second one for the empty string at the end);
//   - the template is expanded as `regexp.Expand` does: `$$` is "$"; `$name` and `${name}`
//     take the longest run of letters, digits and `_` as the name, a number naming a group by
//     index (no leading zeros), anything else a named group; an unknown or unmatched group is
//     empty (`$1x` is the group named "1x": write `${1}x`); a `$` with no valid name is kept.
import type { RE2JS } from 're2js';

const nameChar = /[\p{L}\p{Nd}_]/u;

interface Reference {
  name: string;
  /** The group index the name spells, or -1 when it is not a number. */
  index: number;
  /** Where the template continues after the reference. */
  next: number;
}

/** Parses the reference after a `$` at `at` - 1 (`name` or `{name}`), as Go's `extract`. */
function reference(template: string, at: number): Reference | undefined {
  let i = at;
  const brace = template[i] === '{';
  if (brace) i++;
  const start = i;
  while (i < template.length) {
    const cp = template.codePointAt(i)!;
    const ch = String.fromCodePoint(cp);
    if (!nameChar.test(ch)) break;
    i += ch.length;
  }
  if (i === start) return undefined;
  const name = template.slice(start, i);
  if (brace) {
    if (template[i] !== '}') return undefined;
    i++;
  }
  let index = /^[0-9]+$/.test(name) && !(name.length > 1 && name.startsWith('0')) ? Number(name) : -1;
  // Go gives up on numbers of 1e8 and more (no pattern has that many groups).
  if (index >= 1e8) index = -1;
  return { name, index, next: i };
}

function expand(template: string, group: (ref: Reference) => string): string {
  let out = '';
  let i = 0;
  while (i < template.length) {
    const dollar = template.indexOf('$', i);
    if (dollar < 0) break;
    out += template.slice(i, dollar);
    i = dollar + 1;
    if (template[i] === '$') {
      out += '$';
      i++;
      continue;
    }
    const ref = reference(template, i);
    if (!ref) {
      out += '$';
      continue;
    }
    out += group(ref);
    i = ref.next;
  }
  return out + template.slice(i);
}

export function replaceAllGo(re: RE2JS, text: string, template: string): string {
  const matcher = re.matcher(text);
  const names = re.namedGroups();
  const groups = re.groupCount();
  const group = (ref: Reference): string => {
    // Own names only: a template's `$constructor` is an unknown group, not Object's property.
    const index = ref.index >= 0 ? ref.index : Object.hasOwn(names, ref.name) ? names[ref.name] : undefined;
    if (index === undefined || index > groups) return '';
    return matcher.group(index) ?? '';
  };
  let out = '';
  let lastEnd = 0;
  let searchAt = 0;
  while (searchAt <= text.length && matcher.find(searchAt)) {
    const start = matcher.start();
    const end = matcher.end();
    out += text.slice(lastEnd, start);
    // Not for an empty match right after another match (Go: "a[1] > lastMatchEnd || a[0] == 0").
    if (end > lastEnd || start === 0) out += expand(template, group);
    lastEnd = end;
    // Always move on by at least one character (a whole code point).
    const width = searchAt < text.length ? String.fromCodePoint(text.codePointAt(searchAt)!).length : 1;
    if (searchAt + width > end) searchAt += width;
    else if (searchAt + 1 > end) searchAt++;
    else searchAt = end;
  }
  return out + text.slice(lastEnd);
}

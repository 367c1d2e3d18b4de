// A set of field paths, as server-side apply tracks ownership: a tree whose edges are path
// elements in managedFields' own spelling (`f:<field>`, `k:<json of key fields>` for an item of a
// keyed list, `v:<json value>` for an item of a set, `i:<index>`), and whose nodes say whether
// the path itself is a member. Encoded as `fieldsV1`: a member with children carries `".": {}`.

export class FieldSet {
  self = false;
  readonly children = new Map<string, FieldSet>();

  static fromFieldsV1(json: unknown): FieldSet {
    const set = new FieldSet();
    const fill = (node: FieldSet, v: unknown): void => {
      if (v === null || typeof v !== 'object' || Array.isArray(v)) return;
      const entries = Object.entries(v as Record<string, unknown>);
      if (entries.length === 0) { node.self = true; return; }
      for (const [k, child] of entries) {
        if (k === '.') { node.self = true; continue; }
        fill(node.child(k), child);
      }
    };
    fill(set, json);
    set.self = false;
    return set;
  }

  /** The `fieldsV1` JSON: keys sorted, as the API server writes them. */
  toFieldsV1(): Record<string, unknown> {
    const enc = (node: FieldSet): Record<string, unknown> => {
      const out: Record<string, unknown> = {};
      if (node.self && node.children.size > 0) out['.'] = {};
      for (const k of [...node.children.keys()].sort()) out[k] = enc(node.children.get(k)!);
      return out;
    };
    return enc(this);
  }

  child(key: string): FieldSet {
    let c = this.children.get(key);
    if (!c) this.children.set(key, (c = new FieldSet()));
    return c;
  }

  get(path: readonly string[]): FieldSet | undefined {
    return path.reduce<FieldSet | undefined>((node, k) => node?.children.get(k), this);
  }

  insert(path: readonly string[]): void {
    path.reduce<FieldSet>((node, k) => node.child(k), this).self = true;
  }

  has(path: readonly string[]): boolean {
    return this.get(path)?.self === true;
  }

  isEmpty(): boolean {
    return !this.self && [...this.children.values()].every((c) => c.isEmpty());
  }

  /** Every member path, parents before children. */
  members(): string[][] {
    const out: string[][] = [];
    const walk = (node: FieldSet, path: string[]): void => {
      if (node.self && path.length) out.push(path);
      for (const [k, c] of node.children) walk(c, [...path, k]);
    };
    walk(this, []);
    return out;
  }

  /** Whether any member lies strictly below `path`. */
  hasMemberBelow(path: readonly string[]): boolean {
    const node = this.get(path);
    return !!node && [...node.children.values()].some((c) => !c.isEmpty());
  }

  clone(): FieldSet {
    const c = new FieldSet();
    c.self = this.self;
    for (const [k, v] of this.children) c.children.set(k, v.clone());
    return c;
  }

  union(other: FieldSet): FieldSet {
    const out = this.clone();
    const add = (into: FieldSet, from: FieldSet): void => {
      if (from.self) into.self = true;
      for (const [k, c] of from.children) add(into.child(k), c);
    };
    add(out, other);
    return out.pruned();
  }

  /** Members of this set that are not members of `other` (exact paths, as SMD's Difference). */
  difference(other: FieldSet): FieldSet {
    const out = this.clone();
    const sub = (into: FieldSet, from: FieldSet): void => {
      if (from.self) into.self = false;
      for (const [k, c] of from.children) { const mine = into.children.get(k); if (mine) sub(mine, c); }
    };
    sub(out, other);
    return out.pruned();
  }

  intersection(other: FieldSet): FieldSet {
    const out = new FieldSet();
    const both = (into: FieldSet, a: FieldSet, b: FieldSet): void => {
      into.self = a.self && b.self;
      for (const [k, c] of a.children) { const d = b.children.get(k); if (d) both(into.child(k), c, d); }
    };
    both(out, this, other);
    return out.pruned();
  }

  /** Drops branches without members. */
  private pruned(): this {
    for (const [k, c] of [...this.children]) { c.pruned(); if (c.isEmpty()) this.children.delete(k); }
    return this;
  }
}

/** A path as the API server prints it in conflicts: `.data.a`, `.spec.containers[name="c"].image`, `.metadata.finalizers[="x"]`. */
export function pathString(path: readonly string[]): string {
  return path.map((k) => {
    const body = k.slice(2);
    switch (k.slice(0, 2)) {
      case 'f:': return `.${body}`;
      case 'k:': {
        const key = JSON.parse(body) as Record<string, unknown>;
        return `[${Object.entries(key).map(([f, v]) => `${f}=${JSON.stringify(v)}`).join(',')}]`;
      }
      case 'v:': return `[=${body}]`;
      case 'i:': return `[${body}]`;
      default: return `.${k}`;
    }
  }).join('');
}

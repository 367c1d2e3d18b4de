// Where a heap snapshot's memory is held: reads a `.heapsnapshot` (V8's format, as written by
// `--heapsnapshot-signal` or `v8.writeHeapSnapshot`), builds the dominator tree (weak edges
// skipped, as DevTools does) and prints
//   - the dominator tree from the root down, every node that retains at least --min-mib
//     (default 1 MiB), with the edge that reaches it, so a cache, a map or a registry shows as
//     the object that keeps its entries;
//   - self size by constructor (DevTools' "Summary"), the largest --top (default 40).
// DevTools shows the same figures; this prints them as text for a README or a bench log.
//
//   node --max-old-space-size=4096 --import tsx bench/heap-breakdown.ts <file> [--min-mib 1] [--top 40] [--depth 12]
import { readFileSync } from 'node:fs';
import { numberArg } from './support/command-line.js';

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; edge_fields: string[]; node_types: [string[]]; edge_types: [string[]] }; node_count: number };
  nodes: number[];
  edges: number[];
  strings: string[];
}

const file = process.argv.slice(2).find((a) => !a.startsWith('--') && !/^\d/.test(a));
if (!file) throw new Error('usage: heap-breakdown.ts <file.heapsnapshot>');
const MIN = numberArg('min-mib', 1) * 1048576;
const TOP = numberArg('top', 40);
const DEPTH = numberArg('depth', 12);

const snap = JSON.parse(readFileSync(file, 'utf8')) as Snapshot;
const { meta } = snap.snapshot;
const NF = meta.node_fields.length;
const EF = meta.edge_fields.length;
const nType = meta.node_fields.indexOf('type');
const nName = meta.node_fields.indexOf('name');
const nSelf = meta.node_fields.indexOf('self_size');
const nEdges = meta.node_fields.indexOf('edge_count');
const eType = meta.edge_fields.indexOf('type');
const eName = meta.edge_fields.indexOf('name_or_index');
const eTo = meta.edge_fields.indexOf('to_node');
const nodeTypes = meta.node_types[0];
const edgeTypes = meta.edge_types[0];
const WEAK = edgeTypes.indexOf('weak');
const SHORTCUT = edgeTypes.indexOf('shortcut');
const ELEMENT = edgeTypes.indexOf('element');
const HIDDEN = edgeTypes.indexOf('hidden');
const { nodes, edges, strings } = snap;
const N = nodes.length / NF;

const firstEdge = new Uint32Array(N + 1);
for (let i = 0, e = 0; i < N; i++) {
  firstEdge[i] = e;
  e += nodes[i * NF + nEdges]! * EF;
  firstEdge[i + 1] = e;
}
const selfSize = (i: number) => nodes[i * NF + nSelf]!;
const typeOf = (i: number) => nodeTypes[nodes[i * NF + nType]!] ?? '?';
const nameOf = (i: number) => strings[nodes[i * NF + nName]!] ?? '?';
const followed = (e: number) => {
  const t = edges[e + eType]!;
  return t !== WEAK && t !== SHORTCUT;
};
const edgeLabel = (e: number) => {
  const t = edges[e + eType]!;
  const n = edges[e + eName]!;
  return t === ELEMENT || t === HIDDEN ? `[${n}]` : String(strings[n]);
};

// Depth-first post-order from the root (node 0), iteratively.
const order = new Int32Array(N).fill(-1); // post-order number
const byOrder = new Uint32Array(N);
let count = 0;
{
  const stack = new Uint32Array(N);
  const cursor = new Uint32Array(N);
  const seen = new Uint8Array(N);
  let sp = 0;
  stack[sp++] = 0;
  seen[0] = 1;
  cursor[0] = firstEdge[0]!;
  while (sp > 0) {
    const v = stack[sp - 1]!;
    let pushed = false;
    while (cursor[v]! < firstEdge[v + 1]!) {
      const e = cursor[v]!;
      cursor[v] = e + EF;
      if (!followed(e)) continue;
      const w = edges[e + eTo]! / NF;
      if (seen[w]) continue;
      seen[w] = 1;
      cursor[w] = firstEdge[w]!;
      stack[sp++] = w;
      pushed = true;
      break;
    }
    if (!pushed) {
      sp--;
      order[v] = count;
      byOrder[count++] = v;
    }
  }
}

// Predecessors of reachable nodes (CSR).
const predCount = new Uint32Array(N + 1);
for (let v = 0; v < N; v++) {
  if (order[v]! < 0) continue;
  for (let e = firstEdge[v]!; e < firstEdge[v + 1]!; e += EF) if (followed(e)) predCount[edges[e + eTo]! / NF]!++;
}
const predStart = new Uint32Array(N + 1);
for (let v = 0; v < N; v++) predStart[v + 1] = predStart[v]! + predCount[v]!;
const preds = new Uint32Array(predStart[N]!);
const fill = predStart.slice(0, N);
for (let v = 0; v < N; v++) {
  if (order[v]! < 0) continue;
  for (let e = firstEdge[v]!; e < firstEdge[v + 1]!; e += EF) if (followed(e)) { const w = edges[e + eTo]! / NF; preds[fill[w]!++] = v; }
}

// Cooper, Harvey and Kennedy's iterative dominator algorithm, over post-order numbers.
const idom = new Int32Array(count).fill(-1);
const root = order[0]!;
idom[root] = root;
const intersect = (a: number, b: number) => {
  while (a !== b) {
    while (a < b) a = idom[a]!;
    while (b < a) b = idom[b]!;
  }
  return a;
};
for (let changed = true; changed;) {
  changed = false;
  for (let k = count - 1; k >= 0; k--) {
    if (k === root) continue;
    const v = byOrder[k]!;
    let d = -1;
    for (let p = predStart[v]!; p < predStart[v + 1]!; p++) {
      const u = order[preds[p]!]!;
      if (u < 0 || idom[u] === -1) continue;
      d = d === -1 ? u : intersect(u, d);
    }
    if (d !== -1 && idom[k] !== d) { idom[k] = d; changed = true; }
  }
}

// Retained sizes: children before their dominator in post-order, so one pass upwards.
const retained = new Float64Array(count);
for (let k = 0; k < count; k++) retained[k] = selfSize(byOrder[k]!);
for (let k = 0; k < count; k++) if (k !== root) retained[idom[k]!] += retained[k]!;

const children = new Map<number, number[]>();
for (let k = 0; k < count; k++) {
  if (k === root) continue;
  if (retained[k]! < MIN) continue;
  const list = children.get(idom[k]!) ?? [];
  list.push(k);
  children.set(idom[k]!, list);
}
/** The label of an edge into `v` from its dominator, or from any retainer when none is direct. */
const reachedBy = (v: number, dom: number) => {
  let any: string | undefined;
  for (let e = firstEdge[dom]!; e < firstEdge[dom + 1]!; e += EF) if (edges[e + eTo]! / NF === v) return edgeLabel(e);
  for (let p = predStart[v]!; p < predStart[v + 1]! && !any; p++) {
    const u = preds[p]!;
    for (let e = firstEdge[u]!; e < firstEdge[u + 1]!; e += EF) if (edges[e + eTo]! / NF === v) { any = `${nameOf(u).slice(0, 40)}.${edgeLabel(e)}`; break; }
  }
  return `via ${any ?? '?'}`;
};
const mib = (b: number) => (b / 1048576).toFixed(2);
const total = retained[root]!;
console.log(`${file}: ${N} nodes, ${count} reachable, ${mib(total)} MiB reachable`);
console.log(`\ndominator tree (retained ≥ ${mib(MIN)} MiB): retained MiB, share, self MiB, type, name, reached by`);
const walk = (k: number, depth: number) => {
  const v = byOrder[k]!;
  const dom = byOrder[idom[k]!]!;
  console.log(`${'  '.repeat(depth)}${mib(retained[k]!)}  ${((retained[k]! / total) * 100).toFixed(1)} %  self ${mib(selfSize(v))}  ${typeOf(v)} ${JSON.stringify(nameOf(v).slice(0, 60))}  ${k === root ? '' : reachedBy(v, dom)}`);
  if (depth >= DEPTH) return;
  for (const c of (children.get(k) ?? []).sort((a, b) => retained[b]! - retained[a]!)) walk(c, depth + 1);
};
walk(root, 0);

const byClass = new Map<string, { self: number; count: number }>();
for (let k = 0; k < count; k++) {
  const v = byOrder[k]!;
  const t = typeOf(v);
  const key = t === 'object' || t === 'closure' ? `${t} ${nameOf(v)}` : `(${t})`;
  const c = byClass.get(key) ?? { self: 0, count: 0 };
  c.self += selfSize(v);
  c.count++;
  byClass.set(key, c);
}
console.log(`\nself size by constructor (largest ${TOP}): self MiB, share, objects`);
for (const [key, c] of [...byClass].sort((a, b) => b[1].self - a[1].self).slice(0, TOP)) {
  console.log(`${mib(c.self)}  ${((c.self / total) * 100).toFixed(1)} %  ${c.count}  ${key}`);
}

// Shared objects (an ExternalSecret held by the informer's cache, its `previous` map and the
// reconciler) are dominated by none of their holders, so the tree above shows them under the
// root. Ownership by holder: instances of the classes named by --holders (in that order)
// claim, breadth first, every object reachable from them not yet claimed, without passing
// through code, closures, contexts, object shapes or another holder.
const HOLDERS = (process.argv.includes('--holders') ? process.argv[process.argv.indexOf('--holders') + 1]! : '').split(',').filter(Boolean);
if (HOLDERS.length) {
  const claimed = new Int32Array(N).fill(-1);
  const stopTypes = new Set(['code', 'closure', 'object shape', 'hidden', 'synthetic', 'native']);
  const holderOf = new Map<number, number>();
  for (let v = 0; v < N; v++) {
    if (order[v]! < 0 || typeOf(v) !== 'object') continue;
    const h = HOLDERS.indexOf(nameOf(v));
    if (h >= 0) holderOf.set(v, h);
  }
  /** A holder's `path` or `name` string property, when it has one (an informer's path). */
  const describe = (v: number) => {
    for (let e = firstEdge[v]!; e < firstEdge[v + 1]!; e += EF) {
      const label = edgeLabel(e);
      const w = edges[e + eTo]! / NF;
      if ((label === 'path' || label === 'name') && typeOf(w).endsWith('string')) return ` ${label}=${nameOf(w).slice(0, 80)}`;
    }
    return '';
  };
  const rows: Array<{ holder: string; via: string; bytes: number; objects: number; kinds: Map<string, number> }> = [];
  for (let h = 0; h < HOLDERS.length; h++) {
    for (const [v, hv] of holderOf) {
      if (hv !== h || claimed[v]! >= 0) continue;
      const row = { holder: `${HOLDERS[h]!}${describe(v)}`, via: reachedBy(v, byOrder[idom[order[v]!]!]!), bytes: 0, objects: 0, kinds: new Map<string, number>() };
      const queue = [v];
      claimed[v] = rows.length;
      for (let qi = 0; qi < queue.length; qi++) {
        const u = queue[qi]!;
        row.bytes += selfSize(u);
        row.objects++;
        const kind = typeOf(u) === 'object' ? nameOf(u) : `(${typeOf(u)})`;
        row.kinds.set(kind, (row.kinds.get(kind) ?? 0) + selfSize(u));
        for (let e = firstEdge[u]!; e < firstEdge[u + 1]!; e += EF) {
          if (!followed(e)) continue;
          const w = edges[e + eTo]! / NF;
          if (claimed[w]! >= 0 || holderOf.has(w) || stopTypes.has(typeOf(w)) || nameOf(w) === 'system / Context' || edgeLabel(e) === '__proto__') continue;
          claimed[w] = rows.length;
          queue.push(w);
        }
      }
      rows.push(row);
    }
  }
  console.log(`\nby holder (${HOLDERS.join(', ')}): MiB, share, objects, holder, reached by`);
  for (const r of rows.filter((x) => x.bytes >= MIN / 4).sort((a, b) => b.bytes - a.bytes)) {
    console.log(`${mib(r.bytes)}  ${((r.bytes / total) * 100).toFixed(1)} %  ${r.objects}  ${r.holder}  ${r.via}`);
    console.log(`    ${[...r.kinds].sort((a, b) => b[1] - a[1]).slice(0, 6).map(([k, b]) => `${k} ${mib(b)}`).join(', ')}`);
  }
  const rest = new Map<string, number>();
  for (let v = 0; v < N; v++) if (order[v]! >= 0 && claimed[v]! < 0) rest.set(typeOf(v), (rest.get(typeOf(v)) ?? 0) + selfSize(v));
  const strings = new Map<string, number>();
  for (let v = 0; v < N; v++) {
    if (order[v]! < 0 || claimed[v]! >= 0 || !typeOf(v).endsWith('string')) continue;
    const dom = byOrder[idom[order[v]!]!]!;
    const key = `${typeOf(dom)} ${nameOf(dom).slice(0, 50)}`;
    strings.set(key, (strings.get(key) ?? 0) + selfSize(v));
  }
  console.log('unclaimed strings by dominator (largest):');
  for (const [k, b] of [...strings].sort((a, b) => b[1] - a[1]).slice(0, TOP)) console.log(`  ${mib(b)}  ${k}`);
  console.log(`claimed by no holder, by type: ${[...rest].sort((a, b) => b[1] - a[1]).map(([t, b]) => `${t} ${mib(b)}`).join(', ')}`);
}

// A simple server-side `meta.k8s.io/v1 Table` (what `kubectl get` asks for), used until the
// full table module (src/devcluster/table/) is wired in: Name, the printer columns whose
// jsonPath is a plain field path, and Age.
import type { KubeObject, ResourceType } from './resource-type.js';

export function humanDuration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 120) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 10) return `${m}m${s % 60 ? `${s % 60}s` : ''}`;
  if (m < 180) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 8) return `${h}h${m % 60 ? `${m % 60}m` : ''}`;
  if (h < 48) return `${h}h`;
  const d = Math.floor(h / 24);
  if (d < 8) return `${d}d${h % 24 ? `${h % 24}h` : ''}`;
  return `${d}d`;
}

function plainPath(obj: unknown, path: string): unknown {
  if (!/^(\.[A-Za-z0-9_-]+)+$/.test(path)) return undefined;
  let cur: unknown = obj;
  for (const p of path.slice(1).split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[p];
  }
  return cur;
}

export function buildTable(type: ResourceType, objects: KubeObject[], listMeta: Record<string, unknown>, now: Date): object {
  const cols = type.printerColumns.filter((c) => c.name !== 'Age');
  const columnDefinitions = [
    { name: 'Name', type: 'string', format: 'name', description: 'Name must be unique within a namespace.', priority: 0 },
    ...cols.map((c) => ({ name: c.name, type: c.type, format: c.format ?? '', description: c.description ?? '', priority: c.priority ?? 0 })),
    { name: 'Age', type: 'string', format: '', description: 'CreationTimestamp is a timestamp representing the server time when this object was created.', priority: 0 },
  ];
  const rows = objects.map((o) => {
    const created = Date.parse(String(o.metadata?.creationTimestamp ?? ''));
    const cells: unknown[] = [o.metadata?.name ?? ''];
    for (const c of cols) {
      const v = plainPath(o, c.jsonPath);
      if (v === undefined || v === null) cells.push(c.type === 'integer' || c.type === 'number' ? null : '');
      else if (c.type === 'date' && typeof v === 'string') cells.push(humanDuration(now.getTime() - Date.parse(v)));
      else cells.push(typeof v === 'object' ? JSON.stringify(v) : v);
    }
    cells.push(Number.isNaN(created) ? '<unknown>' : humanDuration(now.getTime() - created));
    return { cells, object: { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata } };
  });
  return { kind: 'Table', apiVersion: 'meta.k8s.io/v1', metadata: listMeta, columnDefinitions, rows };
}

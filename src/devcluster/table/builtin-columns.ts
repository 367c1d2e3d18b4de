// Default `kubectl get` columns of the built-in kinds the dev cluster serves, computed the way
// kube-apiserver's printers compute them (counts and ratios are not expressible as JSONPath).
import { ageOf } from './human-duration.js';
import type { KubeObject } from '../resource-type.js';

export interface ComputedColumn {
  name: string;
  type: string;
  format?: string;
  description: string;
  priority: number;
  cell(obj: KubeObject, now: Date): unknown;
}

type Rec = Record<string, unknown>;
const rec = (v: unknown): Rec => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Rec) : {});
const arr = (v: unknown): Rec[] => (Array.isArray(v) ? (v as Rec[]) : []);
const num = (v: unknown): number => (typeof v === 'number' ? v : 0);
const str = (v: unknown): string => (typeof v === 'string' ? v : '');

const dataCount: ComputedColumn = {
  name: 'Data', type: 'string', description: 'Number of keys in data (and binaryData).', priority: 0,
  cell: (o) => String(Object.keys(rec(o.data)).length + Object.keys(rec(o.binaryData)).length),
};

const eventObject = (o: KubeObject): string => {
  const ref = rec(o.involvedObject ?? o.regarding);
  return `${str(ref.kind).toLowerCase()}/${str(ref.name)}`;
};

/** Columns between Name and Age, keyed by `<group>/<plural>`; `nameFirst: false` lists every column itself. */
export const BUILTIN_COLUMNS: Record<string, { columns: ComputedColumn[]; nameFirst?: boolean }> = {
  '/secrets': {
    columns: [
      { name: 'Type', type: 'string', description: 'The type of the secret.', priority: 0, cell: (o) => str(o.type) || 'Opaque' },
      dataCount,
    ],
  },
  '/configmaps': { columns: [dataCount] },
  '/namespaces': {
    columns: [{ name: 'Status', type: 'string', description: 'The status of the namespace.', priority: 0, cell: (o) => str(rec(o.status).phase) || 'Active' }],
  },
  '/pods': {
    columns: [
      {
        name: 'Ready', type: 'string', description: 'Ready containers / all containers.', priority: 0,
        cell: (o) => {
          const statuses = arr(rec(o.status).containerStatuses);
          return `${statuses.filter((s) => s.ready === true).length}/${arr(rec(o.spec).containers).length}`;
        },
      },
      { name: 'Status', type: 'string', description: 'The pod phase or the reason it is in it.', priority: 0, cell: (o) => str(rec(o.status).reason) || str(rec(o.status).phase) || 'Pending' },
      { name: 'Restarts', type: 'string', description: 'Container restarts.', priority: 0, cell: (o) => String(arr(rec(o.status).containerStatuses).reduce((n, s) => n + num(s.restartCount), 0)) },
    ],
  },
  'apps/deployments': {
    columns: [
      { name: 'Ready', type: 'string', description: 'Ready replicas / desired replicas.', priority: 0, cell: (o) => `${num(rec(o.status).readyReplicas)}/${typeof rec(o.spec).replicas === 'number' ? num(rec(o.spec).replicas) : 1}` },
      { name: 'Up-to-date', type: 'integer', description: 'Replicas updated to the latest template.', priority: 0, cell: (o) => num(rec(o.status).updatedReplicas) },
      { name: 'Available', type: 'integer', description: 'Available replicas.', priority: 0, cell: (o) => num(rec(o.status).availableReplicas) },
    ],
  },
  // As kube-apiserver prints Events: no leading Name column, last-seen first.
  '/events': {
    nameFirst: false,
    columns: [
      { name: 'Last Seen', type: 'string', description: 'Time since the event was last seen.', priority: 0, cell: (o, now) => ageOf(o.lastTimestamp ?? o.eventTime ?? rec(o.metadata).creationTimestamp, now) },
      { name: 'Type', type: 'string', description: 'Normal or Warning.', priority: 0, cell: (o) => str(o.type) },
      { name: 'Reason', type: 'string', description: 'Why the event was emitted.', priority: 0, cell: (o) => str(o.reason) },
      { name: 'Object', type: 'string', description: 'The object the event is about.', priority: 0, cell: eventObject },
      { name: 'Message', type: 'string', description: 'A human-readable description.', priority: 0, cell: (o) => str(o.message) || str(o.note) },
      { name: 'Count', type: 'string', description: 'How often the event occurred.', priority: 1, cell: (o) => String(num(o.count) || 1) },
      { name: 'Name', type: 'string', format: 'name', description: 'Name of the event.', priority: 1, cell: (o) => str(rec(o.metadata).name) },
    ],
  },
};

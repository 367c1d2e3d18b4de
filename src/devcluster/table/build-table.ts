// Server-side `meta.k8s.io/v1 Table` responses (what `kubectl get` asks for with
// `Accept: application/json;as=Table;v=v1;g=meta.k8s.io`): Name, the type's columns, Age.
import { BUILTIN_COLUMNS, type ComputedColumn } from './builtin-columns.js';
import { ageOf } from './human-duration.js';
import { evaluateJsonPath, parseJsonPath } from './jsonpath.js';
import type { KubeObject, PrinterColumn, ResourceType } from '../resource-type.js';

const NAME_COLUMN: ComputedColumn = {
  name: 'Name', type: 'string', format: 'name', description: 'Name must be unique within a namespace.', priority: 0,
  cell: (o) => o.metadata?.name ?? '',
};
const AGE_COLUMN: ComputedColumn = {
  name: 'Age', type: 'date', description: 'CreationTimestamp is a timestamp representing the server time when this object was created.', priority: 0,
  cell: (o, now) => ageOf(o.metadata?.creationTimestamp, now),
};

/** A CRD printer column as a computed one; like kube-apiserver, an unparsable path yields empty cells. */
function fromPrinterColumn(c: PrinterColumn): ComputedColumn {
  let steps: ReturnType<typeof parseJsonPath> | undefined;
  try {
    steps = parseJsonPath(c.jsonPath);
  } catch {
    steps = undefined;
  }
  return {
    name: c.name, type: c.type, format: c.format, description: c.description ?? '', priority: c.priority ?? 0,
    cell(o, now) {
      const values = steps ? evaluateJsonPath(o, steps) : [];
      if (values.length === 0 || values[0] === null) return c.type === 'integer' || c.type === 'number' || c.type === 'boolean' ? null : '';
      const first = values[0];
      if (c.type === 'date') return ageOf(first, now);
      if (typeof first === 'object') return JSON.stringify(first);
      // Several matches print comma-separated, as kubectl's JSONPath printer does.
      return values.length > 1 ? values.map((v) => (typeof v === 'object' ? JSON.stringify(v) : String(v))).join(',') : first;
    },
  };
}

/** The columns of a type, in order (Name first unless the kind's printer puts it elsewhere). */
export function columnsOf(type: ResourceType): ComputedColumn[] {
  // Built-in kinds print computed columns (counts, ratios) that JSONPath columns cannot express.
  const builtin = Object.hasOwn(BUILTIN_COLUMNS, `${type.group}/${type.plural}`) ? BUILTIN_COLUMNS[`${type.group}/${type.plural}`] : undefined;
  if (builtin) {
    // Events carry their own Name and Last Seen columns and no Age, as kube-apiserver prints them.
    return builtin.nameFirst === false ? builtin.columns : [NAME_COLUMN, ...builtin.columns, AGE_COLUMN];
  }
  const own = type.printerColumns.map(fromPrinterColumn);
  const age = own.find((c) => c.name === 'Age');
  return [NAME_COLUMN, ...own.filter((c) => c.name !== 'Age'), age ?? AGE_COLUMN];
}

export function buildTable(type: ResourceType, objects: KubeObject[], listMeta: Record<string, unknown>, now: Date): object {
  const columns = columnsOf(type);
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: listMeta,
    columnDefinitions: columns.map((c) => ({ name: c.name, type: c.type === 'date' ? 'string' : c.type, format: c.format ?? '', description: c.description, priority: c.priority })),
    rows: objects.map((o) => ({
      cells: columns.map((c) => c.cell(o, now)),
      object: { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata },
    })),
  };
}

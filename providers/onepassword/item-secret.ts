// Turns a 1Password item into a RemoteSecret: every field by label (so `property` is a field
// label and `dataFrom.extract` yields all fields), the password field as the value, and for
// Document items the files by name with the document itself as the value.
import type { RemoteSecret } from '../contract/index.js';

export interface ItemLike {
  id?: string;
  title?: string;
  /** The SDK types these as enums; at runtime they are the API's strings (`DOCUMENT`, `PASSWORD`). */
  category?: unknown;
  version?: number;
  tags?: string[];
  createdAt?: Date;
  updatedAt?: Date;
  fields?: Array<{ id?: string; label?: string; value?: string; purpose?: unknown; type?: unknown }>;
  files?: Array<{ id?: string; name?: string }>;
}

export function itemToSecret(item: ItemLike, vaultName: string, files: Map<string, Buffer>): RemoteSecret {
  const fields: Record<string, Buffer> = {};
  const seen = new Map<string, number>();
  for (const f of item.fields ?? []) {
    if (!f.label) continue;
    seen.set(f.label, (seen.get(f.label) ?? 0) + 1);
  }
  // A label used by two fields is ambiguous: it is left out (reading it fails as not found)
  // rather than answered with whichever field came first.
  const ambiguous = [...seen].filter(([, n]) => n > 1).map(([label]) => label);
  for (const f of item.fields ?? []) {
    if (!f.label || ambiguous.includes(f.label) || f.value === undefined) continue;
    fields[f.label] = Buffer.from(f.value, 'utf8');
  }
  const isDocument = String(item.category) === 'DOCUMENT';
  if (isDocument) for (const [name, content] of files) fields[name] = content;

  let value: Buffer | undefined;
  if (isDocument) {
    value = item.files?.[0]?.name !== undefined ? files.get(item.files[0].name) : undefined;
  } else {
    const password = (item.fields ?? []).find((f) => String(f.purpose) === 'PASSWORD')
      ?? (item.fields ?? []).find((f) => f.label === 'password' && !ambiguous.includes('password'));
    if (password?.value !== undefined) value = Buffer.from(password.value, 'utf8');
  }

  const metadata: Record<string, string> = { itemId: item.id ?? '', vault: vaultName, category: item.category === undefined ? '' : String(item.category) };
  if (item.version !== undefined) metadata.version = String(item.version);
  if (item.tags && item.tags.length > 0) metadata.tags = item.tags.join(',');
  if (ambiguous.length > 0) metadata.ambiguousFields = ambiguous.join(',');
  return {
    value: value ?? Buffer.alloc(0),
    // Without a password field (or a document file) a ref without `property` has nothing to
    // read; it fails rather than syncing an empty value.
    ...(value === undefined
      ? { noDefaultValue: { reason: 'NoPasswordField', message: isDocument ? 'the document has no file' : 'the item has no password field; set remoteRef.property to a field label' } }
      : {}),
    fields,
    versionId: item.version === undefined ? undefined : String(item.version),
    createdAt: item.createdAt,
    updatedAt: item.updatedAt,
    metadata,
  };
}

// Rule plaintext-secret: a Secret with values in Git that SOPS has not encrypted (no `sops:`
// stanza). A SealedSecret is another kind and never matches. The finding names the Secret,
// its file and line, never a key or a value.
import { lineOf, type ManifestDoc } from '../tree.js';
import { field, isCoreSecret, nameOf, str } from '../objects.js';
import type { Finding } from '../findings.js';

function hasEntries(v: unknown): boolean {
  return v !== null && typeof v === 'object' && Object.keys(v).length > 0;
}

export function plaintextSecrets(docs: readonly ManifestDoc[]): Finding[] {
  const findings: Finding[] = [];
  for (const d of docs) {
    if (!isCoreSecret(d.obj) || field(d.obj, 'sops') !== undefined) continue;
    const which = ['data', 'stringData'].find((k) => hasEntries(field(d.obj, k)));
    if (!which) continue;
    const ns = str(d.obj, 'metadata', 'namespace');
    findings.push({
      rule: 'plaintext-secret', severity: 'error', file: d.file, line: lineOf(d, [which]),
      message: `Secret ${ns ? `${ns}/` : ''}${nameOf(d.obj)} holds its values in plain text (${which})`,
      fix: { text: 'encrypt it with SOPS, make it a SealedSecret, or keep the values in a secret store and sync them with an ExternalSecret' },
    });
  }
  return findings;
}

// Rule plaintext-secret: a Secret with values in Git that SOPS has not encrypted (no `sops:`
// stanza), or a kustomize `secretGenerator` with `literals`. A SealedSecret is another kind and
// never matches. The finding names the Secret, its file and line, never a key or a value.
import { lineOf, type ManifestDoc } from '../tree.js';
import { basename } from 'node:path';
import { field, isCoreSecret, list, nameOf, str } from '../objects.js';
import type { Finding } from '../findings.js';

function hasEntries(v: unknown): boolean {
  return v !== null && typeof v === 'object' && Object.keys(v).length > 0;
}

const KUSTOMIZATION_FILE = /^(kustomization\.ya?ml|Kustomization)$/;

function generatorLiterals(d: ManifestDoc): Finding[] {
  if (!KUSTOMIZATION_FILE.test(basename(d.path)) || field(d.obj, 'sops') !== undefined) return [];
  return list(d.obj, 'secretGenerator').flatMap((g, i) => (list(g, 'literals').length === 0 ? [] : [{
    rule: 'plaintext-secret' as const, severity: 'error' as const, file: d.file, line: lineOf(d, ['secretGenerator', i, 'literals']),
    message: `secretGenerator ${str(g, 'name') ?? '(unnamed)'} holds its values in plain text (literals)`,
    fix: { text: 'generate it from SOPS-encrypted files, or keep the values in a secret store and sync them with an ExternalSecret' },
  }]));
}

export function plaintextSecrets(docs: readonly ManifestDoc[]): Finding[] {
  const findings: Finding[] = [];
  for (const d of docs) {
    findings.push(...generatorLiterals(d));
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

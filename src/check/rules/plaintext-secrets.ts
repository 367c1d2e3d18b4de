// Rule plaintext-secret: a Secret with values in Git that SOPS has not encrypted (no `sops:`
// stanza), or a kustomize `secretGenerator` with `literals`, or with `files`/`envs` that are
// not SOPS-encrypted. A SealedSecret is another kind and never matches. The finding names the
// Secret (or the file read), its file and line, never a key or a value.
import { lineOf, type ManifestDoc } from '../tree.js';
import { readFileSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { field, isCoreSecret, list, nameOf, str } from '../objects.js';
import type { Finding } from '../findings.js';

function hasEntries(v: unknown): boolean {
  return v !== null && typeof v === 'object' && Object.keys(v).length > 0;
}

const KUSTOMIZATION_FILE = /^(kustomization\.ya?ml|Kustomization)$/;

const GENERATOR_FIX = { text: 'generate it from SOPS-encrypted files, or keep the values in a secret store and sync them with an ExternalSecret' };

/**
 * What SOPS leaves in every file it encrypts: `ENC[AES256_GCM,...]` values, and its metadata
 * (`sops_mac=` in a dotenv file, a `sops` key in YAML or JSON, which a binary file becomes).
 */
const SOPS_ENCRYPTED = /ENC\[AES256_GCM,|^sops_mac=|^sops:|"sops"\s*:/m;

/** Whether the file a generator reads is in plain text; undefined when it cannot be read (kustomize reports that). */
function plainText(path: string): boolean | undefined {
  try {
    return !SOPS_ENCRYPTED.test(readFileSync(path, 'utf8'));
  } catch {
    return undefined;
  }
}

function generatorFindings(d: ManifestDoc): Finding[] {
  if (!KUSTOMIZATION_FILE.test(basename(d.path)) || field(d.obj, 'sops') !== undefined) return [];
  const findings: Finding[] = [];
  list(d.obj, 'secretGenerator').forEach((g, i) => {
    const name = str(g, 'name') ?? '(unnamed)';
    if (list(g, 'literals').length > 0) {
      findings.push({
        rule: 'plaintext-secret', severity: 'error', file: d.file, line: lineOf(d, ['secretGenerator', i, 'literals']),
        message: `secretGenerator ${name} holds its values in plain text (literals)`, fix: GENERATOR_FIX,
      });
    }
    for (const how of ['files', 'envs']) {
      list(g, how).forEach((entry, j) => {
        if (typeof entry !== 'string') return;
        // `files` entries may be `key=path`; the key is not named in the finding.
        const rel = how === 'files' && entry.includes('=') ? entry.slice(entry.indexOf('=') + 1) : entry;
        if (plainText(resolve(dirname(d.path), rel)) !== true) return;
        findings.push({
          rule: 'plaintext-secret', severity: 'error', file: d.file, line: lineOf(d, ['secretGenerator', i, how, j]),
          message: `secretGenerator ${name} reads its values from a file in plain text (${how}: ${rel})`, fix: GENERATOR_FIX,
        });
      });
    }
  });
  return findings;
}

export function plaintextSecrets(docs: readonly ManifestDoc[]): Finding[] {
  const findings: Finding[] = [];
  for (const d of docs) {
    findings.push(...generatorFindings(d));
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

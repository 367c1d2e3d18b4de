// `target.template`: the Secret type, extra metadata, and data rendered with simple
// `{{ .key }}` substitution of fetched values. Only that form is supported, so a template
// cannot run code or read anything but the fetched keys.
import { SpecError } from './spec-error.js';
import type { ExternalSecretSpec } from './types.js';

export interface RenderedSecret {
  type: string;
  data: Record<string, Buffer>;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

const placeholder = /\{\{-?\s*\.([A-Za-z0-9_.-]+)\s*-?\}\}/g;

export function renderTemplate(spec: ExternalSecretSpec, fetched: Record<string, Buffer>): RenderedSecret {
  const template = spec.target?.template;
  const rendered: RenderedSecret = {
    type: template?.type ?? 'Opaque',
    data: fetched,
    labels: { ...(template?.metadata?.labels ?? {}) },
    annotations: { ...(template?.metadata?.annotations ?? {}) },
  };
  if (!template?.data) return rendered;
  const out = Object.create(null) as Record<string, Buffer>;
  for (const [key, text] of Object.entries(template.data)) {
    const parts: Buffer[] = [];
    let last = 0;
    for (const m of text.matchAll(placeholder)) {
      // Own keys only: a name a plain object inherits (`constructor`, `toString`, ...) is not a fetched key.
      const value = Object.hasOwn(fetched, m[1]!) ? fetched[m[1]!] : undefined;
      if (!Buffer.isBuffer(value)) throw new SpecError(`spec.target.template.data.${key}: refers to "${m[1]}", which is not among the fetched keys`);
      parts.push(Buffer.from(text.slice(last, m.index), 'utf8'), value);
      last = m.index! + m[0].length;
    }
    if (/\{\{/.test(text.slice(last))) throw new SpecError(`spec.target.template.data.${key}: only {{ .key }} placeholders are supported`);
    parts.push(Buffer.from(text.slice(last), 'utf8'));
    out[key] = Buffer.concat(parts);
  }
  rendered.data = out;
  return rendered;
}

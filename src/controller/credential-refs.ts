// Finds the Secret references (`{name, key[, namespace]}`) anywhere in a store's provider
// block, without knowing the provider: used to re-trigger a store when a credential Secret appears.
export interface CredentialRef {
  name: string;
  namespace?: string;
}

export function credentialRefs(provider: unknown, out: CredentialRef[] = []): CredentialRef[] {
  if (Array.isArray(provider)) {
    for (const item of provider) credentialRefs(item, out);
  } else if (provider && typeof provider === 'object') {
    const o = provider as Record<string, unknown>;
    if (typeof o.name === 'string' && typeof o.key === 'string') {
      out.push({ name: o.name, namespace: typeof o.namespace === 'string' ? o.namespace : undefined });
    }
    for (const v of Object.values(o)) if (v && typeof v === 'object') credentialRefs(v, out);
  }
  return out;
}

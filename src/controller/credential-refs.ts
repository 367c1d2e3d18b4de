// Finds the references to Secrets, ConfigMaps and ServiceAccounts (`{name, key?, namespace?}`)
// anywhere in a store's provider block, without knowing the provider: used to re-trigger a
// store when a credential Secret appears, and to refuse references a SecretStore may not use.
export interface CredentialRef {
  name: string;
  namespace?: string;
  /** The key referenced (for `{name, key}` references). */
  key?: string;
  /** It names a ConfigMap, not a Secret: a `caProvider` of `type: ConfigMap`, or GCP's `credConfig`. */
  configMap?: boolean;
  /** Where it is, e.g. `spec.provider.aws.auth.secretRef.accessKeyIDSecretRef`. */
  field: string;
}

function walk(node: unknown, field: string, out: CredentialRef[], isRef: (o: Record<string, unknown>) => boolean): void {
  if (Array.isArray(node)) {
    node.forEach((item, i) => walk(item, `${field}[${i}]`, out, isRef));
  } else if (node && typeof node === 'object') {
    const o = node as Record<string, unknown>;
    if (isRef(o)) {
      out.push({
        name: o.name as string, namespace: typeof o.namespace === 'string' ? o.namespace : undefined, field,
        ...(typeof o.key === 'string' ? { key: o.key } : {}), ...(o.type === 'ConfigMap' || field.endsWith('.credConfig') ? { configMap: true } : {}),
      });
    }
    for (const [k, v] of Object.entries(o)) if (v && typeof v === 'object') walk(v, `${field}.${k}`, out, isRef);
  }
}

/** Secret key references (`{name, key}`) in a provider block. */
export function credentialRefs(provider: unknown, out: CredentialRef[] = []): CredentialRef[] {
  walk(provider, 'spec.provider', out, (o) => typeof o.name === 'string' && typeof o.key === 'string');
  return out;
}

/**
 * The `namespace` fields of a SecretStore's references that name another namespace. A
 * SecretStore's references resolve only in its own namespace, so such a field would be
 * ignored; the store is refused instead, naming each field.
 */
export function refsOutsideNamespace(provider: unknown, storeNamespace: string): string[] {
  const refs: CredentialRef[] = [];
  walk(provider, 'spec.provider', refs, (o) => typeof o.name === 'string' && typeof o.namespace === 'string');
  return refs.filter((r) => r.namespace !== storeNamespace).map((r) => `${r.field}.namespace`);
}

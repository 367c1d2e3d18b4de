// Where a store's private CA comes from: an inline base64 PEM (`caBundle`) or a key of a
// Secret or ConfigMap (`caProvider`), as External Secrets Operator spells it. Every
// provider with TLS accepts both, so the lookup lives here once.
import type { ProviderDeps } from './provider.js';

export interface CaProvider {
  type: 'Secret' | 'ConfigMap';
  name: string;
  key: string;
  /** Required in a ClusterSecretStore. */
  namespace?: string;
}

export interface CaSource {
  caBundle?: string;
  caProvider?: CaProvider;
}

/** The PEM text of the store's CA bundle, or undefined when the store names none. */
export async function readCaBundle(source: CaSource, deps: Pick<ProviderDeps, 'readSecret' | 'readConfigMap'>): Promise<string | undefined> {
  if (source.caBundle) return Buffer.from(source.caBundle, 'base64').toString('utf8');
  const ca = source.caProvider;
  if (!ca) return undefined;
  const ref = { name: ca.name, key: ca.key, namespace: ca.namespace };
  return ca.type === 'ConfigMap' ? deps.readConfigMap(ref) : (await deps.readSecret(ref)).toString('utf8');
}

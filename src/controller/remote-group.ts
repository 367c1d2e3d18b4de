// Which remote secret an ExternalSecret is grouped by: its store and the first remote key
// it reads. ExternalSecrets of one group share a refresh slot (refresh-schedule.ts) and a
// shard (shard.ts), so the readers of one remote secret are fetched by one replica, in one
// merged call, at one instant.
import type { ExternalSecretResource } from './types.js';
import { storeKey } from './store-resolver.js';

export function remoteGroupKey(es: ExternalSecretResource): string {
  const namespace = es.metadata?.namespace;
  const ref = es.spec?.secretStoreRef;
  const kind = ref?.kind === 'ClusterSecretStore' ? 'ClusterSecretStore' : 'SecretStore';
  const store = storeKey(kind, ref?.name ?? '', kind === 'SecretStore' ? namespace : undefined);
  const remote = es.spec?.data?.[0]?.remoteRef?.key ?? es.spec?.dataFrom?.find((f) => f.extract)?.extract?.key;
  // Without a single remote key (e.g. only `find`), the ExternalSecret is its own group.
  return `${store}|${remote ?? `${namespace}/${es.metadata?.name}`}`;
}

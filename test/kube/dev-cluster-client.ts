// A dev cluster and a KubeClient on it for one mocha suite: started before its tests, stopped
// after them. Call inside `describe`.
import * as k8s from '@kubernetes/client-node';
import { startDevCluster, type DevCluster } from '../../src/devcluster/dev-cluster.js';
import { KubeClient } from '../../src/kube/kube-client.js';

export interface DevClusterClient {
  readonly cluster: DevCluster;
  readonly client: KubeClient;
}

export function useDevClusterClient(budget: { qps: number; burst: number }): DevClusterClient {
  let cluster: DevCluster | undefined;
  let client: KubeClient | undefined;
  before(async () => {
    cluster = await startDevCluster({ port: 0 });
    const kc = new k8s.KubeConfig();
    kc.loadFromString(cluster.kubeconfigYaml());
    client = new KubeClient(kc, { budget });
  });
  after(async () => {
    await client?.close();
    await cluster?.stop();
  });
  return {
    get cluster() { return cluster!; },
    get client() { return client!; },
  };
}

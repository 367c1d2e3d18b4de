// A dev cluster and a KubeClient on it for one mocha suite: started before its tests, stopped
// after them. Call inside `describe`.
import { startDevCluster, type DevCluster } from '../../src/devcluster/dev-cluster.js';
import { KubeClient } from '../../src/kube/kube-client.js';
import { connectionFromKubeconfig } from '../../src/kube/kube-connection.js';

export interface DevClusterClient {
  readonly cluster: DevCluster;
  readonly client: KubeClient;
}

export function useDevClusterClient(budget: { qps: number; burst: number }): DevClusterClient {
  let cluster: DevCluster | undefined;
  let client: KubeClient | undefined;
  before(async () => {
    cluster = await startDevCluster({ port: 0 });
    client = new KubeClient(await connectionFromKubeconfig(cluster.kubeconfigYaml(), process.cwd()), { budget });
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

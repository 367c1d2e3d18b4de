// Kubeconfigs that need more than a token, a token file or a client certificate (exec
// credential plugins, auth providers, proxies) are served by @kubernetes/client-node's
// KubeConfig, imported only here and only then: it loads client-node's whole generated client.
import type { Agent } from 'node:http';
import type { KubeConnection, RequestAuth } from './kube-connection.js';

export async function clientNodeConnection(yamlText: string, baseDir: string): Promise<KubeConnection> {
  const k8s = await import('@kubernetes/client-node');
  const config = new k8s.KubeConfig();
  config.loadFromString(yamlText);
  config.makePathsAbsolute(baseDir);
  const server = config.getCurrentCluster()?.server;
  if (!server) throw new Error('kubeconfig: the current context has no cluster server');
  // client-node makes a new agent for every request; keep one per set of agent options so
  // connections are reused.
  const target = config as unknown as { createAgent(cluster: unknown, options: Record<string, unknown>): Agent };
  const createAgent = target.createAgent.bind(config);
  const agents = new Map<string, Agent>();
  target.createAgent = (cluster, options) => {
    const key = JSON.stringify(options);
    let agent = agents.get(key);
    if (!agent) agents.set(key, (agent = createAgent(cluster, { ...options, keepAlive: true, maxFreeSockets: 64 })));
    return agent;
  };
  return {
    server: server.replace(/\/+$/, ''),
    async requestAuth(): Promise<RequestAuth> {
      const options: { agent?: Agent; headers?: Record<string, string>; auth?: string } = {};
      await config.applyToHTTPSOptions(options);
      const headers: Record<string, string> = { Accept: 'application/json', ...options.headers };
      if (options.auth) headers.Authorization = `Basic ${Buffer.from(options.auth).toString('base64')}`;
      return { agent: options.agent!, headers };
    },
    bearerToken: () => config.getCurrentUser()?.token,
  };
}

// The composition root of `keyferry run`: builds the concrete parts (kube client, informers,
// fetch path, providers, metrics, controller, HTTP servers) and ties their lifetimes together.
import * as k8s from '@kubernetes/client-node';
import { Registry, collectDefaultMetrics } from 'prom-client';
import type { Logger } from 'pino';
import { DirectFetcher } from '../fetch/direct-fetcher.js';
import type { RemoteFetcher } from '../fetch/remote-fetcher.js';
import { KubeClient } from '../kube/kube-client.js';
import { allInformers, createInformers } from '../kube/informer-set.js';
import { OperatorMetrics } from '../metrics/operator-metrics.js';
import { startHttpServer, type RunningServer } from '../metrics/http-server.js';
import { metricsRoute } from '../metrics/metrics-route.js';
import { healthRoutes } from '../health/health-routes.js';
import { Controller } from '../controller/controller.js';
import { providerRegistry } from './provider-registry.js';

export interface OperatorConfig {
  kubeconfig?: string;
  namespace?: string;
  concurrency: number;
  clientQps: number;
  clientBurst: number;
  metricsAddr: string;
  healthAddr: string;
  logger: Logger;
  /** The fetch path; a DirectFetcher when not given. */
  fetcher?: RemoteFetcher;
}

export interface RunningOperator {
  metricsAddress: string;
  healthAddress: string;
  /** Drains in-flight reconciles, then stops informers and servers. */
  stop(): Promise<void>;
}

export function loadKubeConfig(path?: string): k8s.KubeConfig {
  const kc = new k8s.KubeConfig();
  if (path) kc.loadFromFile(path);
  else kc.loadFromDefault();
  return kc;
}

export async function startOperator(config: OperatorConfig): Promise<RunningOperator> {
  const { logger } = config;
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const metrics = new OperatorMetrics(registry);
  const client = new KubeClient(loadKubeConfig(config.kubeconfig), { budget: { qps: config.clientQps, burst: config.clientBurst } });
  const informers = createInformers(client, logger.child({ part: 'informer' }), config.namespace);
  const controller = new Controller({
    caches: informers,
    api: client,
    providers: providerRegistry,
    fetcher: config.fetcher ?? new DirectFetcher(),
    metrics,
    clock: { now: () => Date.now() },
    logger: logger.child({ part: 'controller' }),
    concurrency: Math.max(1, config.concurrency),
  });
  const all = allInformers(informers);
  const servers: RunningServer[] = [];
  const metricsServer = await startHttpServer(config.metricsAddr, { '/metrics': metricsRoute(registry) });
  servers.push(metricsServer);
  logger.info({ addr: metricsServer.address, url: `http://${metricsServer.address}/metrics` }, 'metrics server listening');
  const healthServer = await startHttpServer(config.healthAddr, healthRoutes({ notReady: () => all.filter((i) => !i.synced).map((i) => i.name) }));
  servers.push(healthServer);
  logger.info({ addr: healthServer.address }, 'health server listening');

  await Promise.all(all.map((i) => i.start()));
  await Promise.all(all.map((i) => i.waitForSync()));
  logger.info({ informers: all.map((i) => i.name) }, 'caches synced; starting workers');
  controller.start();

  return {
    metricsAddress: metricsServer.address,
    healthAddress: healthServer.address,
    async stop() {
      await controller.stop();
      await Promise.all(all.map((i) => i.stop()));
      await client.close();
      await Promise.all(servers.map((s) => s.close()));
    },
  };
}

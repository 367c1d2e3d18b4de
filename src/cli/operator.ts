// The composition root of `keyferry run`: builds the concrete parts (kube client, informers,
// fetch path, providers, metrics, controller, HTTP servers) and ties their lifetimes together.
import { Registry, collectDefaultMetrics } from 'prom-client';
import type { Logger } from 'pino';
import { FetchPath } from '../fetch/fetch-path.js';
import type { RemoteFetcher } from '../fetch/remote-fetcher.js';
import type { GlobalCap } from '../fetch/endpoint-limiters.js';
import { KubeClient } from '../kube/kube-client.js';
import { loadKubeConnection } from '../kube/kube-connection.js';
import { kubeLeaseApi } from '../kube/lease-api.js';
import { allInformers, createCredentialSecrets, createInformers } from '../kube/informer-set.js';
import { OperatorMetrics } from '../metrics/operator-metrics.js';
import { startHttpServer, type Route, type RunningServer } from '../metrics/http-server.js';
import { metricsRoute } from '../metrics/metrics-route.js';
import { registerPeakMemoryGauge } from '../metrics/peak-memory-gauge.js';
import { registerEventLoopDelayGauge } from '../metrics/event-loop-delay-gauge.js';
import { registerHeapAfterGcGauge } from '../metrics/heap-after-gc-gauge.js';
import { MetricsAccessReviewer } from '../metrics/access-review.js';
import { authorizedRoute } from '../metrics/authorized-route.js';
import { certDirIdentity, selfSignedIdentity } from '../metrics/tls-identity.js';
import { createRequestLimiter } from '../kube/request-limiter.js';
import { InstrumentedClusterApi } from '../kube/instrumented-cluster-api.js';
import { healthRoutes } from '../health/health-routes.js';
import { Controller } from '../controller/controller.js';
import type { Shard } from '../controller/shard.js';
import { ShardView } from '../controller/shard-view.js';
import type { DebounceOptions } from '../workloads/debouncer.js';
import { providerRegistry } from './provider-registry.js';
import { storeTokenPolicy } from './store-token-policy.js';
import type { LabelSelector } from '../controller/types.js';
import { VERSION_KEY_SECRET_NAME, loadOrCreateVersionKey } from '../versioning/version-key.js';
import { LeaderElector } from '../kube/leader-election.js';
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';

export interface OperatorConfig {
  kubeconfig?: string;
  /** Informers' initial state by watch-list where the API server offers it (default: on unless KEYFERRY_WATCH_LIST=off). */
  watchList?: boolean;
  namespace?: string;
  concurrency: number;
  clientQps: number;
  clientBurst: number;
  metricsAddr: string;
  healthAddr: string;
  /**
   * Serve /metrics over HTTPS to callers whose bearer token the API server authenticates
   * (TokenReview) and authorizes for `get /metrics` (SubjectAccessReview). `certDir` holds
   * tls.crt/tls.key; without it a self-signed certificate is made at start.
   */
  metricsSecure?: { certDir?: string };
  logger: Logger;
  /** The fetch path; the full FetchPath (merge, cache, batch, limiter, retry, breaker) when not given. */
  fetcher?: RemoteFetcher;
  /**
   * This replica's share: it reconciles only its ExternalSecrets and gets 1/count of each
   * provider budget (static division) unless `redisUrl` shares the budgets.
   */
  shard?: Shard;
  redisUrl?: string;
  /** `direct` switches merging, caching and batching off (one call per ExternalSecret per refresh). */
  fetchMode?: 'shared' | 'direct';
  /** The global cap above every store's limiter (default: 256 calls in flight, no rate). */
  providerCap?: GlobalCap;
  /** Take the `keyferry-leader` Lease before reconciling. */
  leaderElect?: boolean;
  /** Namespace of the Lease (default: $POD_NAMESPACE, then --namespace, then `default`). */
  leaseNamespace?: string;
  /** Namespace of the version key Secret `keyferry-version-key` (default: $POD_NAMESPACE, then --namespace, then `default`). */
  versionKeyNamespace?: string;
  /** Called when the operator can no longer work (lease lost); the process should exit non-zero. */
  onFatal?: (reason: string) => void;
  /** Let namespaced SecretStores use the operator's ambient credentials (default: only ClusterSecretStores). */
  allowAmbientCredentialsInSecretStores?: boolean;
  /** Audiences the API server accepts besides its issuer; never minted for a store. */
  apiAudiences?: string[];
  /** Only ServiceAccounts with these labels may be used for tokens minted for stores. */
  storeServiceAccountSelector?: LabelSelector;
  /** How long one reconcile may hold a worker (default 30 s). */
  reconcileTimeoutMs?: number;
  /** How long `stop` waits for in-flight reconciles before abandoning them (default: until they end). */
  shutdownGraceMs?: number;
  /** How long rollouts wait for a burst of new versions to end (default: DEFAULT_ROLLOUT_DEBOUNCE). */
  rolloutDebounce?: DebounceOptions;
}

export interface RunningOperator {
  metricsAddress: string;
  healthAddress: string;
  /** Drains in-flight reconciles, then stops informers and servers. */
  stop(): Promise<void>;
}

async function startMetricsServer(config: OperatorConfig, client: KubeClient, logger: Logger, route: Route): Promise<RunningServer> {
  if (!config.metricsSecure) return startHttpServer(config.metricsAddr, { '/metrics': route });
  // Reviews have a budget of their own: a flood of bad tokens must not slow reconciling.
  const reviewLimiter = createRequestLimiter({ qps: 5, burst: 10 }, { maxQueued: 20 });
  const reviewer = new MetricsAccessReviewer({
    createTokenReview: (body) => client.http.request('POST', '/apis/authentication.k8s.io/v1/tokenreviews', { body }),
    createSubjectAccessReview: (body) => client.http.request('POST', '/apis/authorization.k8s.io/v1/subjectaccessreviews', { body }),
  }, { path: '/metrics', schedule: (call) => reviewLimiter.schedule(call) });
  const secured = authorizedRoute(route, reviewer, {
    onDenied: (decision, remote) => logger.debug({ outcome: decision.outcome, user: 'user' in decision ? decision.user : undefined, remote }, 'metrics request denied'),
    onError: (error) => logger.warn({ error: error instanceof Error ? error.message : String(error) }, 'metrics access review failed'),
  });
  const certDir = config.metricsSecure.certDir;
  const tls = certDir
    ? certDirIdentity(certDir, { onError: (error) => logger.warn({ error: error instanceof Error ? error.message : String(error), certDir }, 'metrics certificate not reloaded') })
    : await selfSignedIdentity(['localhost', '127.0.0.1', hostname()]);
  const server = await startHttpServer(config.metricsAddr, { '/metrics': secured }, { tls });
  return { ...server, close: async () => { await server.close(); await reviewLimiter.stop(); } };
}

export async function startOperator(config: OperatorConfig): Promise<RunningOperator> {
  const { logger } = config;
  // package.json pins the AWS SDK to releases that support Node 20, as keyferry's engines
  // promise; the SDK's reminder that releases from 2027 will need Node 22 does not apply.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  registerPeakMemoryGauge(registry);
  const eventLoopDelay = registerEventLoopDelayGauge(registry);
  const heapAfterGc = registerHeapAfterGcGauge(registry);
  const metrics = new OperatorMetrics(registry);
  // The fetch path keeps its metrics on its own registry; /metrics serves both.
  const fetchRegistry = new Registry();
  const shard = config.shard && config.shard.count > 1 ? config.shard : undefined;
  const fetchPath = config.fetcher ? undefined : new FetchPath({
    registry: fetchRegistry,
    switches: config.fetchMode === 'direct' ? { merge: false, cache: false, batch: false } : undefined,
    // Each reader says how old a cached "latest" read it accepts (its store's cache.latestTTL,
    // else a tenth of its interval, at most 10 s); entries are kept no longer than that.
    defaultLatestTtlMs: 10_000,
    limiter: { shardCount: shard?.count ?? 1, redisUrl: config.redisUrl, globalCap: config.providerCap },
  });
  const client = new KubeClient(await loadKubeConnection(config.kubeconfig), { budget: { qps: config.clientQps, burst: config.clientBurst } });
  // Sharded, what other shards reconcile is cached reduced (ExternalSecrets) or not at all (their versions).
  const shardView = new ShardView(shard);
  // KEYFERRY_WATCH_LIST=off: informers list in pages, as against an API server without WatchList.
  const watchList = config.watchList ?? process.env.KEYFERRY_WATCH_LIST !== 'off';
  const informers = createInformers(client, logger.child({ part: 'informer' }), config.namespace, {
    watchList,
    ...(shardView.sharded ? { externalSecret: shardView.externalSecret, keepsManagedSecret: shardView.keepsManagedSecret } : {}),
  });
  shardView.bind(informers.externalSecrets);
  const credentialSecrets = createCredentialSecrets(client, logger.child({ part: 'credential-secrets' }), config.namespace, { watchList });
  // Every replica reads the same key before its first name is computed (versioning/version-key.ts).
  const keyNamespace = config.versionKeyNamespace ?? process.env.POD_NAMESPACE ?? config.namespace ?? 'default';
  const versionKey = await loadOrCreateVersionKey(client, { namespace: keyNamespace });
  logger.info({ secret: `${keyNamespace}/${VERSION_KEY_SECRET_NAME}`, created: versionKey.created }, 'version key loaded');
  const tokenPolicy = await storeTokenPolicy(client, { apiAudiences: config.apiAudiences ?? [], serviceAccountSelector: config.storeServiceAccountSelector }, logger.child({ part: 'token-policy' }));
  // One counted client for every write the controllers make.
  const api = new InstrumentedClusterApi(client, registry);
  const controller = new Controller({
    caches: { ...informers, credentialSecrets },
    api,
    providers: providerRegistry,
    fetcher: config.fetcher ?? fetchPath!,
    metrics,
    clock: { now: () => Date.now() },
    logger: logger.child({ part: 'controller' }),
    concurrency: Math.max(1, config.concurrency),
    shard,
    versionKey: versionKey.key,
    tokenPolicy,
    allowAmbientCredentialsInSecretStores: config.allowAmbientCredentialsInSecretStores,
    reconcileTimeoutMs: config.reconcileTimeoutMs,
    rolloutDebounce: config.rolloutDebounce,
    externalSecretWriter: api,
  });
  const all = allInformers(informers);
  const servers: RunningServer[] = [];
  const metricsServer = await startMetricsServer(config, client, logger, metricsRoute(registry, [fetchRegistry], [metrics.externalSecrets]));
  servers.push(metricsServer);
  logger.info({ addr: metricsServer.address, url: `${metricsServer.scheme}://${metricsServer.address}/metrics`, secure: metricsServer.scheme === 'https' }, 'metrics server listening');
  const elector = config.leaderElect ? new LeaderElector({
    api: kubeLeaseApi(client.http),
    call: (fn) => client.call(fn),
    namespace: config.leaseNamespace ?? process.env.POD_NAMESPACE ?? config.namespace ?? 'default',
    // Each shard elects its own leader, so a shard can have standbys too.
    name: shard ? `keyferry-leader-shard-${shard.index}` : 'keyferry-leader',
    identity: `${hostname()}_${randomUUID().slice(0, 8)}`,
    logger,
    onLost: () => config.onFatal?.('leader lease lost'),
  }) : undefined;
  const notReady = () => {
    const waiting = all.filter((i) => !i.synced).map((i) => i.name);
    // Ready means a leader is known: this replica, or another one that holds the Lease.
    if (elector && !elector.leader) waiting.push('leader election');
    // Keys waiting and no reconcile finishing: every worker is held by something.
    waiting.push(...controller.stalledQueues());
    return waiting;
  };
  const healthServer = await startHttpServer(config.healthAddr, healthRoutes({ notReady }));
  servers.push(healthServer);
  logger.info({ addr: healthServer.address }, 'health server listening');

  // Sharded, the managed-Secret filter looks owners up among the ExternalSecrets: those first.
  const first = shardView.sharded ? [informers.externalSecrets] : [];
  for (const informer of first) {
    await informer.start();
    await informer.waitForSync();
  }
  await Promise.all(all.filter((i) => !first.includes(i)).map((i) => i.start()));
  await Promise.all(all.map((i) => i.waitForSync()));
  logger.info({ informers: all.map((i) => i.name) }, 'caches synced; starting workers');
  if (elector) {
    // A standby keeps its caches warm and serves metrics; it starts reconciling once it leads.
    logger.info({}, 'waiting for the leader lease');
    elector.acquire().then(() => controller.start(), () => undefined);
  } else {
    controller.start();
  }

  return {
    metricsAddress: metricsServer.address,
    healthAddress: healthServer.address,
    async stop() {
      await controller.stop(config.shutdownGraceMs);
      await elector?.release();
      await fetchPath?.close();
      await Promise.all(all.map((i) => i.stop()));
      await credentialSecrets.stop();
      await client.close();
      await Promise.all(servers.map((s) => s.close()));
      eventLoopDelay.close();
      heapAfterGc.close();
    },
  };
}

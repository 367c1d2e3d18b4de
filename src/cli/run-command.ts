// `keyferry run`: starts the operator and keeps it running until SIGTERM/SIGINT, then drains
// in-flight work and exits 0, within `--shutdown-grace` whatever is still in flight.
import { createLogger } from '../logging/logger.js';
import { parseLabelSelector } from '../controller/label-selector.js';
import { startOperator } from './operator.js';

export interface RunOptions {
  kubeconfig?: string;
  namespace?: string;
  concurrency: number;
  clientQps: number;
  clientBurst: number;
  metricsAddr: string;
  metricsSecure: boolean;
  metricsCertDir?: string;
  healthAddr: string;
  leaderElect: boolean;
  shardIndex: number;
  shardIndexFromPodName: boolean;
  shardCount: number;
  redisUrl?: string;
  fetchMode: 'shared' | 'direct';
  providerQps?: number;
  providerMaxConcurrent: number;
  logLevel: string;
  allowAmbientCredentialsInSecretstores: boolean;
  apiAudiences: string[];
  storeServiceAccountSelector?: string;
  /** Seconds. */
  reconcileTimeout: number;
  /** Seconds. */
  shutdownGrace: number;
  /** Seconds. */
  rolloutDebounce: number;
  /** Seconds. */
  rolloutMaxDelay: number;
}

/**
 * The StatefulSet ordinal at the end of a pod name (`keyferry-2` → 2), so a sharded
 * StatefulSet needs one pod template for all shards; a message when there is none.
 */
export function shardIndexFromPodName(podName: string | undefined): number | string {
  if (!podName) return 'POD_NAME is not set (the manifests set it from metadata.name)';
  const match = /-(\d+)$/.exec(podName);
  if (!match) return `pod name "${podName}" does not end in a StatefulSet ordinal`;
  return Number(match[1]);
}

export async function runOperator(opts: RunOptions): Promise<number> {
  const logger = createLogger({ level: opts.logLevel });
  let fatal: (reason: string) => void = () => undefined;
  const fatalReason = new Promise<string>((resolve) => { fatal = resolve; });
  let operator;
  try {
    operator = await startOperator({
      kubeconfig: opts.kubeconfig,
      namespace: opts.namespace,
      concurrency: opts.concurrency,
      clientQps: opts.clientQps,
      clientBurst: opts.clientBurst,
      metricsAddr: opts.metricsAddr,
      metricsSecure: opts.metricsSecure ? { certDir: opts.metricsCertDir } : undefined,
      healthAddr: opts.healthAddr,
      logger,
      leaderElect: opts.leaderElect,
      shard: { index: opts.shardIndex, count: opts.shardCount },
      redisUrl: opts.redisUrl,
      fetchMode: opts.fetchMode,
      providerCap: { requestsPerSecond: opts.providerQps, maxConcurrent: Math.max(1, opts.providerMaxConcurrent) },
      onFatal: (reason) => fatal(reason),
      allowAmbientCredentialsInSecretStores: opts.allowAmbientCredentialsInSecretstores,
      apiAudiences: opts.apiAudiences,
      storeServiceAccountSelector: opts.storeServiceAccountSelector === undefined ? undefined : parseLabelSelector(opts.storeServiceAccountSelector),
      reconcileTimeoutMs: opts.reconcileTimeout * 1000,
      shutdownGraceMs: opts.shutdownGrace * 1000,
      rolloutDebounce: { quietMs: opts.rolloutDebounce * 1000, maxWaitMs: opts.rolloutMaxDelay * 1000 },
    });
  } catch (e) {
    logger.error({ error: e instanceof Error ? e.message : String(e) }, 'operator failed to start');
    return 1;
  }
  logger.info({ namespace: opts.namespace ?? '(all)', concurrency: opts.concurrency, shard: `${opts.shardIndex}/${opts.shardCount}`, fetchMode: opts.fetchMode }, 'operator running');
  const stopBy = await Promise.race([
    new Promise<string>((resolve) => {
      process.once('SIGTERM', () => resolve('SIGTERM'));
      process.once('SIGINT', () => resolve('SIGINT'));
    }),
    fatalReason.then((reason) => `fatal: ${reason}`),
  ]);
  logger.info({ reason: stopBy, graceSeconds: opts.shutdownGrace }, 'draining in-flight work');
  const code = stopBy.startsWith('fatal') ? 1 : 0;
  // The controller gives up in-flight work at the grace time; closing connections and servers
  // after that gets a few seconds more, then the process exits whatever still holds it.
  const hardStop = setTimeout(() => {
    logger.warn({ graceSeconds: opts.shutdownGrace }, 'shutdown grace time over; exiting with work still open');
    process.exit(code);
  }, opts.shutdownGrace * 1000 + 5_000);
  hardStop.unref();
  await operator.stop();
  clearTimeout(hardStop);
  logger.info({}, 'stopped');
  return code;
}

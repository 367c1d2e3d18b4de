// The `keyferry` executable: parses the command line and hands over to one subcommand.
// This folder is the composition root: the only place that wires concrete parts together.
import { Command, InvalidArgumentError } from 'commander';
import { runOperator, shardIndexFromPodName, type RunOptions } from './run-command.js';
import { addCheckCommand } from './check-command.js';
import { addConvertCommand } from './convert-command.js';
import { parseLabelSelector } from '../controller/label-selector.js';
import { DEFAULT_ROLLOUT_DEBOUNCE } from '../workloads/workload-rollouts.js';
// The dev cluster (schema validators, CEL) loads only for `keyferry dev`, not for `run`.
import type { DevOptions } from './dev-command.js';

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`expected a non-negative integer, got "${value}"`);
  return n;
}

function positiveNumber(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`expected a positive number, got "${value}"`);
  return n;
}

function commaList(value: string): string[] {
  return value.split(',').map((v) => v.trim()).filter((v) => v !== '');
}

function fetchMode(value: string): 'shared' | 'direct' {
  if (value !== 'shared' && value !== 'direct') throw new InvalidArgumentError(`expected "shared" or "direct", got "${value}"`);
  return value;
}

export function buildProgram(onExit: (code: Promise<number>) => void): Command {
  const program = new Command('keyferry')
    .description('Syncs remote secrets into immutable, versioned Kubernetes Secrets')
    .showHelpAfterError();

  program
    .command('run')
    .description('run the operator')
    .option('--kubeconfig <path>', 'kubeconfig file (default: in-cluster, then $KUBECONFIG, then ~/.kube/config)')
    .option('--namespace <ns>', 'watch only this namespace (default: all)')
    .option('--concurrency <n>', 'reconcile workers', positiveInt, 4)
    .option('--client-qps <n>', 'Kubernetes API requests per second', positiveNumber, 50)
    .option('--client-burst <n>', 'Kubernetes API burst', positiveInt, 100)
    .option('--metrics-addr <addr>', 'address of /metrics', ':8080')
    .option('--metrics-secure', 'serve /metrics over HTTPS, only to bearer tokens the API server authenticates (TokenReview) and authorizes for get /metrics (SubjectAccessReview)', false)
    .option('--metrics-cert-dir <dir>', 'with --metrics-secure: directory holding tls.crt and tls.key, re-read when they change (default: a self-signed certificate made at start)')
    .option('--health-addr <addr>', 'address of /healthz and /readyz', ':8081')
    .option('--leader-elect', 'take a coordination.k8s.io Lease before reconciling', false)
    .option('--shard-index <n>', 'this replica\'s shard', positiveInt, 0)
    .option('--shard-index-from-pod-name', 'take the shard from the StatefulSet ordinal at the end of $POD_NAME (keyferry-2 is shard 2)', false)
    .option('--shard-count <n>', 'number of shards', positiveInt, 1)
    .option('--redis-url <url>', 'share rate limits across replicas through Redis')
    .option('--provider-qps <n>', 'cap on provider calls per second over all stores in this replica, above each store\'s rateLimit (default: none)', positiveNumber)
    .option('--provider-max-concurrent <n>', 'cap on provider calls in flight over all stores in this replica', positiveInt, 256)
    .option('--fetch-mode <mode>', 'shared: merge, cache and batch provider reads; direct: one provider call per ExternalSecret per refresh, as operators without a fetch path do (for comparisons)', fetchMode, 'shared')
    .option('--allow-ambient-credentials-in-secretstores', 'let namespaced SecretStores without credentials of their own use the operator\'s (SDK default chains: IRSA, instance profile, managed identity, application default credentials); without it only ClusterSecretStores may', false)
    .option('--api-audiences <list>', 'comma-separated audiences the Kubernetes API server accepts, besides its issuer (read at start); stores may not have tokens minted for them', commaList, [])
    .option('--store-service-account-selector <selector>', 'only ServiceAccounts with these labels may be named by stores for minted tokens, e.g. keyferry.io/store-identity=true (default: any in the store\'s namespace)')
    .option('--reconcile-timeout <seconds>', 'longest one reconcile holds a worker; what it waits on longer is given up and retried', positiveInt, 30)
    .option('--rollout-debounce <seconds>', 'workloads with rollout: Patch roll this long after the last of a burst of new versions they reference…', positiveNumber, DEFAULT_ROLLOUT_DEBOUNCE.quietMs / 1000)
    .option('--rollout-max-delay <seconds>', '…and no later than this after the first', positiveNumber, DEFAULT_ROLLOUT_DEBOUNCE.maxWaitMs / 1000)
    .option('--shutdown-grace <seconds>', 'on SIGTERM, how long in-flight work may finish before the process exits anyway', positiveInt, 20)
    .option('--log-level <level>', 'trace, debug, info, warn or error', 'info')
    .action((opts: RunOptions, command: Command) => {
      if (opts.storeServiceAccountSelector !== undefined) {
        try {
          parseLabelSelector(opts.storeServiceAccountSelector);
        } catch (e) {
          command.error(`error: --store-service-account-selector: ${e instanceof Error ? e.message : String(e)}`);
        }
      }
      if (opts.shardCount < 1) command.error('error: --shard-count must be at least 1');
      if (opts.shardIndexFromPodName) {
        if (command.getOptionValueSource('shardIndex') === 'cli') command.error('error: give either --shard-index or --shard-index-from-pod-name, not both');
        const index = shardIndexFromPodName(process.env.POD_NAME);
        if (typeof index === 'string') command.error(`error: --shard-index-from-pod-name: ${index}`);
        opts.shardIndex = index;
      }
      if (opts.rolloutMaxDelay < opts.rolloutDebounce) command.error(`error: --rollout-max-delay (${opts.rolloutMaxDelay}) must be at least --rollout-debounce (${opts.rolloutDebounce})`);
      if (opts.metricsCertDir && !opts.metricsSecure) command.error('error: --metrics-cert-dir needs --metrics-secure');
      if (opts.shardIndex >= opts.shardCount) command.error(`error: --shard-index ${opts.shardIndex} is out of range for --shard-count ${opts.shardCount} (0 to ${opts.shardCount - 1})`);
      onExit(runOperator(opts));
    });

  program
    .command('dev')
    .description('start the embedded dev cluster with the operator and a demo')
    .option('--port <n>', 'dev cluster port (0 picks a free one)', positiveInt, 0)
    .option('--no-operator', 'start only the dev cluster')
    .option('--no-demo', 'do not apply the demo resources')
    .action((opts: DevOptions) => onExit(import('./dev-command.js').then(({ runDevCluster }) => runDevCluster(opts))));

  addCheckCommand(program, onExit);
  addConvertCommand(program, onExit);

  return program;
}

/** Runs the CLI and resolves to the process exit code. */
export async function main(argv: string[]): Promise<number> {
  let result: Promise<number> = Promise.resolve(0);
  const program = buildProgram((code) => { result = code; });
  await program.parseAsync(argv, { from: 'user' });
  return result;
}

// A separate process holding its own EndpointLimiters: waits for "go" on stdin, runs
// `jobs` calls through the limiter of one endpoint and prints when each one started.
import { EndpointLimiters } from '../../../src/fetch/endpoint-limiters.js';
import { systemFetchClock } from '../../../src/fetch/fetch-clock.js';

const config = JSON.parse(process.argv[2] ?? '{}') as {
  redisUrl?: string;
  shardCount?: number;
  jobs: number;
  rateLimit: { requestsPerSecond: number; burst: number; maxConcurrent: number };
};

const limiters = new EndpointLimiters({ clock: systemFetchClock, redisUrl: config.redisUrl, shardCount: config.shardCount });
// Create the limiter (and its Redis state) before the start signal.
await limiters.limiterFor('shared-endpoint', config.rateLimit).ready();
process.stdout.write('ready\n');
await new Promise<void>((resolve) => process.stdin.once('data', () => resolve()));
const starts: number[] = [];
await Promise.all(
  Array.from({ length: config.jobs }, () =>
    limiters.schedule('shared-endpoint', config.rateLimit, async () => {
      starts.push(Date.now());
    }),
  ),
);
process.stdout.write(`${JSON.stringify({ starts })}\n`);
await limiters.close();
process.exit(0);

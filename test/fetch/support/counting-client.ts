// A ProviderClient that counts its calls and answers from a map; batch support optional.
import { NotFoundError, type ProviderClient, type ProviderError, type RemoteRef, type RemoteSecret } from '../../../providers/contract/index.js';

export interface CountingClient extends ProviderClient {
  fetchCalls: RemoteRef[];
  batchCalls: RemoteRef[][];
  values: Map<string, string>;
  /** Errors to throw from the next calls, in order. */
  failNext: ProviderError[];
}

export function countingClient(options: { batchSize?: number; delayMs?: number } = {}): CountingClient {
  const values = new Map<string, string>();
  const read = (ref: RemoteRef): RemoteSecret | ProviderError => {
    const v = values.get(ref.key);
    return v === undefined ? new NotFoundError(`remote secret "${ref.key}" not found`) : { value: Buffer.from(v), versionId: ref.version ?? 'v1' };
  };
  const pause = () => new Promise<void>((resolve) => setTimeout(resolve, options.delayMs ?? 0));
  const client: CountingClient = {
    fetchCalls: [],
    batchCalls: [],
    values,
    failNext: [],
    async fetch(ref) {
      client.fetchCalls.push(ref);
      await pause();
      const failure = client.failNext.shift();
      if (failure) throw failure;
      const result = read(ref);
      if (result instanceof Error) throw result;
      return result;
    },
    async validate() {
      return { warnings: [] };
    },
    async close() {},
  };
  if (options.batchSize) {
    Object.assign(client, {
      maxBatchSize: options.batchSize,
      async fetchMany(refs: RemoteRef[]) {
        client.batchCalls.push(refs);
        await pause();
        const failure = client.failNext.shift();
        if (failure) throw failure;
        return refs.map(read);
      },
    });
  }
  return client;
}

// A list-then-watch cache of one resource across all namespaces (client-node's informer), for
// the benchmark to read what a real API server holds without listing thousands of objects on
// every poll. client-node ends the watch on an error other than 410 Gone; this starts it again.
import * as k8s from '@kubernetes/client-node';

export class WatchCache<T extends k8s.KubernetesObject> {
  private stopped = false;

  private constructor(private readonly informer: k8s.Informer<T> & k8s.ObjectCache<T>) {
    informer.on('error', () => {
      if (!this.stopped) setTimeout(() => { if (!this.stopped) void informer.start(); }, 1000);
    });
  }

  /** Starts the cache; resolves once the first list is in. */
  static async start<T extends k8s.KubernetesObject>(config: k8s.KubeConfig, path: string, list: () => Promise<k8s.KubernetesListObject<T>>, labelSelector?: string): Promise<WatchCache<T>> {
    const cache = new WatchCache(k8s.makeInformer(config, path, list, labelSelector));
    await cache.informer.start();
    return cache;
  }

  get(namespace: string, name: string): T | undefined {
    return this.informer.get(name, namespace);
  }

  all(): readonly T[] {
    return this.informer.list();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.informer.stop();
  }
}

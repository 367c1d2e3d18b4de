// A small REST client for test setup and assertions, over a kubeconfig, so one test reads and
// writes the dev cluster and a real kube-apiserver the same way, over HTTP: create-or-replace,
// get, list, delete, and the status subresource. Kinds are mapped to resources by discovery.
import * as k8s from '@kubernetes/client-node';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest, type RequestOptions } from 'node:https';

export type KubeObject = Record<string, unknown> & {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string>; resourceVersion?: string; [k: string]: unknown };
};

export class KubeRequestError extends Error {
  constructor(readonly status: number, readonly body: string, what: string) {
    super(`${what}: HTTP ${status}: ${body.slice(0, 500)}`);
  }
}

interface ResourceInfo {
  plural: string;
  namespaced: boolean;
  subresources: Set<string>;
}

export class TestKubeClient {
  private readonly server: URL;
  private readonly discovery = new Map<string, Promise<Map<string, ResourceInfo>>>();

  constructor(readonly config: k8s.KubeConfig) {
    this.server = new URL(config.getCurrentCluster()!.server);
  }

  static fromYaml(yaml: string): TestKubeClient {
    const kc = new k8s.KubeConfig();
    kc.loadFromString(yaml);
    return new TestKubeClient(kc);
  }

  /** One HTTP request; resolves to [status, body text]. */
  async raw(method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<[number, string]> {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const options: RequestOptions = {
      method,
      hostname: this.server.hostname,
      port: this.server.port,
      path,
      headers: { accept: 'application/json', ...(payload ? { 'content-type': contentType, 'content-length': payload.length } : {}) },
    };
    await this.config.applyToHTTPSOptions(options);
    const send = this.server.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const req = send(options, (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (c: string) => { text += c; }).on('end', () => resolve([res.statusCode ?? 0, text]));
      });
      req.on('error', reject);
      req.setTimeout(30_000, () => req.destroy(new Error(`${method} ${path} timed out`)));
      req.end(payload);
    });
  }

  private async json<T>(method: string, path: string, body?: unknown, contentType?: string): Promise<T> {
    const [status, text] = await this.raw(method, path, body, contentType);
    if (status < 200 || status > 299) throw new KubeRequestError(status, text, `${method} ${path}`);
    return JSON.parse(text) as T;
  }

  private resources(apiVersion: string): Promise<Map<string, ResourceInfo>> {
    let found = this.discovery.get(apiVersion);
    if (!found) {
      const path = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
      found = this.json<{ resources: Array<{ name: string; kind: string; namespaced: boolean }> }>('GET', path).then((list) => {
        const byKind = new Map<string, ResourceInfo>();
        for (const r of list.resources) {
          const [plural, sub] = r.name.split('/');
          if (sub) continue;
          byKind.set(r.kind, { plural: plural!, namespaced: r.namespaced, subresources: new Set(list.resources.filter((s) => s.name.startsWith(`${plural}/`)).map((s) => s.name.split('/')[1]!)) });
        }
        return byKind;
      });
      // A group that is not served yet (a CRD just created) is looked up again next time.
      found.catch(() => this.discovery.delete(apiVersion));
      this.discovery.set(apiVersion, found);
    }
    return found;
  }

  /** The plurals of the namespaced kinds an API group version serves. */
  async namespacedPlurals(apiVersion: string): Promise<string[]> {
    return [...(await this.resources(apiVersion)).values()].filter((r) => r.namespaced).map((r) => r.plural);
  }

  /** Whether a kind is namespaced. */
  async isNamespaced(apiVersion: string, kind: string): Promise<boolean> {
    return (await this.resource(apiVersion, kind)).namespaced;
  }

  private async resource(apiVersion: string, kind: string): Promise<ResourceInfo> {
    let info = (await this.resources(apiVersion)).get(kind);
    if (!info) {
      this.discovery.delete(apiVersion);
      info = (await this.resources(apiVersion)).get(kind);
    }
    if (!info) throw new Error(`no resource for kind ${kind} in ${apiVersion}`);
    return info;
  }

  /** The collection path of a kind (in `namespace` when namespaced; all namespaces when namespace is undefined). */
  async path(apiVersion: string, kind: string, namespace?: string, name?: string): Promise<string> {
    const r = await this.resource(apiVersion, kind);
    const base = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
    const ns = r.namespaced && namespace ? `/namespaces/${encodeURIComponent(namespace)}` : '';
    return `${base}${ns}/${r.plural}${name ? `/${encodeURIComponent(name)}` : ''}`;
  }

  /** Creates each object, or replaces it when it exists; writes `status` through the status subresource when given. */
  async apply(objects: KubeObject | KubeObject[]): Promise<KubeObject[]> {
    const out: KubeObject[] = [];
    for (const o of Array.isArray(objects) ? objects : [objects]) {
      const { apiVersion, kind } = o as { apiVersion: string; kind: string };
      const r = await this.resource(apiVersion, kind);
      const namespace = r.namespaced ? (o.metadata?.namespace ?? 'default') : undefined;
      const body = structuredClone({ ...o, metadata: { ...o.metadata, ...(namespace ? { namespace } : {}) } });
      const name = body.metadata.name!;
      let stored: KubeObject;
      const [status, text] = await this.raw('POST', await this.path(apiVersion, kind, namespace), body);
      if (status === 409) {
        stored = await this.replace(body);
      } else if (status >= 200 && status < 300) {
        stored = JSON.parse(text) as KubeObject;
      } else {
        throw new KubeRequestError(status, text, `create ${kind} ${namespace ? `${namespace}/` : ''}${name}`);
      }
      if (o.status !== undefined && r.subresources.has('status')) {
        stored = await this.json('PUT', `${await this.path(apiVersion, kind, namespace, name)}/status`, { ...stored, status: o.status });
      }
      out.push(stored);
    }
    return out;
  }

  /** Replaces an object at its current resourceVersion, retrying on a conflict. */
  private async replace(body: KubeObject): Promise<KubeObject> {
    const { apiVersion, kind } = body as { apiVersion: string; kind: string };
    const path = await this.path(apiVersion, kind, body.metadata?.namespace, body.metadata?.name);
    for (let attempt = 0; ; attempt++) {
      const current = await this.json<KubeObject>('GET', path);
      const [status, text] = await this.raw('PUT', path, { ...body, metadata: { ...body.metadata, resourceVersion: current.metadata?.resourceVersion } });
      if (status === 409 && attempt < 5) continue;
      if (status < 200 || status > 299) throw new KubeRequestError(status, text, `replace ${path}`);
      return JSON.parse(text) as KubeObject;
    }
  }

  async get(apiVersion: string, kind: string, name: string, namespace?: string): Promise<KubeObject | undefined> {
    const [status, text] = await this.raw('GET', await this.path(apiVersion, kind, namespace ?? 'default', name));
    if (status === 404) return undefined;
    if (status !== 200) throw new KubeRequestError(status, text, `get ${kind} ${name}`);
    return JSON.parse(text) as KubeObject;
  }

  /** Items of one kind, in one namespace or all; each item gets apiVersion and kind (lists omit them). */
  async list(apiVersion: string, kind: string, namespace?: string, options: { labelSelector?: string; fieldSelector?: string } = {}): Promise<KubeObject[]> {
    const query = new URLSearchParams();
    if (options.labelSelector) query.set('labelSelector', options.labelSelector);
    if (options.fieldSelector) query.set('fieldSelector', options.fieldSelector);
    const qs = query.size ? `?${query}` : '';
    const list = await this.json<{ items: KubeObject[] }>('GET', `${await this.path(apiVersion, kind, namespace)}${qs}`);
    return list.items.map((i) => ({ apiVersion, kind, ...i }));
  }

  /** Deletes with background propagation; false when it was already gone. */
  async delete(apiVersion: string, kind: string, name: string, namespace?: string, propagationPolicy = 'Background'): Promise<boolean> {
    const [status, text] = await this.raw('DELETE', await this.path(apiVersion, kind, namespace ?? 'default', name), { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy });
    if (status === 404) return false;
    if (status < 200 || status > 299) throw new KubeRequestError(status, text, `delete ${kind} ${name}`);
    return true;
  }

  /** A merge patch of an object or (subresource 'status') its status. */
  async mergePatch(apiVersion: string, kind: string, name: string, namespace: string | undefined, patch: unknown, subresource?: string): Promise<KubeObject> {
    const path = `${await this.path(apiVersion, kind, namespace, name)}${subresource ? `/${subresource}` : ''}`;
    return this.json('PATCH', path, patch, 'application/merge-patch+json');
  }
}

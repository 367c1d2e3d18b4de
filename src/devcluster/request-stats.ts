// Counts of API requests by verb and resource, so tests can assert what a client did
// (for example "no Secret was written on restart") by counting at the server.
export interface RequestInfo {
  /** Kubernetes verb: get, list, watch, create, update, patch, delete, deletecollection; or the HTTP method for non-resource paths. */
  verb: string;
  /** Resource plural, with `/subresource` when one is addressed (`externalsecrets/status`); empty for non-resource paths. */
  resource: string;
  group: string;
  namespace?: string;
  name?: string;
  path: string;
  /** A watch that asks for the current state first (`sendInitialEvents=true`: a watch-list). */
  initialEvents?: boolean;
}

export class RequestStats {
  private counts = new Map<string, number>();

  record(verb: string, resource: string): void {
    const key = `${verb} ${resource}`;
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
  }

  /** Requests with this verb and resource; either may be omitted (or `*`) to sum over all. */
  count(verb?: string, resource?: string): number {
    let n = 0;
    for (const [key, c] of this.counts) {
      const [v, r] = key.split(' ');
      if ((verb === undefined || verb === '*' || verb === v) && (resource === undefined || resource === '*' || resource === r)) n += c;
    }
    return n;
  }

  /** Writes (create, update, patch, delete, deletecollection) to a resource. */
  writes(resource?: string): number {
    return ['create', 'update', 'patch', 'delete', 'deletecollection'].reduce((n, v) => n + this.count(v, resource), 0);
  }

  /** `{ "create secrets": 3, ... }` */
  snapshot(): Record<string, number> {
    return Object.fromEntries([...this.counts].sort(([a], [b]) => a.localeCompare(b)));
  }

  reset(): void {
    this.counts = new Map();
  }
}

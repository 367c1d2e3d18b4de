// The data of the test Vault's KV mounts: v1 (one value per path) and v2 (versions with
// created/deletion times, soft delete, destroy, custom_metadata, max_versions), shaped
// like the KV secrets engine's HTTP API responses.
export interface KvV2Version {
  data: Record<string, unknown>;
  createdTime: string;
  deletionTime: string;
  destroyed: boolean;
}

export interface KvV2Secret {
  versions: Map<number, KvV2Version>;
  currentVersion: number;
  customMetadata: Record<string, string> | null;
  createdTime: string;
  updatedTime: string;
  maxVersions: number;
}

export class KvMount {
  readonly v1 = new Map<string, Record<string, unknown>>();
  readonly v2 = new Map<string, KvV2Secret>();

  constructor(readonly version: 1 | 2, private readonly now: () => Date) {}

  /** Writes a new version (v2) or replaces the value (v1); returns the version number. */
  write(path: string, data: Record<string, unknown>, customMetadata?: Record<string, string>): number {
    if (this.version === 1) {
      this.v1.set(path, structuredClone(data));
      return 0;
    }
    const time = this.now().toISOString();
    let s = this.v2.get(path);
    if (!s) {
      s = { versions: new Map(), currentVersion: 0, customMetadata: null, createdTime: time, updatedTime: time, maxVersions: 0 };
      this.v2.set(path, s);
    }
    s.currentVersion += 1;
    s.versions.set(s.currentVersion, { data: structuredClone(data), createdTime: time, deletionTime: '', destroyed: false });
    s.updatedTime = time;
    if (customMetadata) s.customMetadata = { ...customMetadata };
    const max = s.maxVersions || 10;
    for (const v of [...s.versions.keys()].sort((a, b) => a - b)) {
      if (s.versions.size <= max) break;
      s.versions.delete(v);
    }
    return s.currentVersion;
  }

  /** Soft-deletes versions (v2 `delete`); the latest when none given. */
  softDelete(path: string, versions?: number[]): void {
    const s = this.v2.get(path);
    if (!s) return;
    for (const v of versions ?? [s.currentVersion]) {
      const entry = s.versions.get(v);
      if (entry && !entry.deletionTime) entry.deletionTime = this.now().toISOString();
    }
  }

  undelete(path: string, versions: number[]): void {
    const s = this.v2.get(path);
    for (const v of versions) {
      const entry = s?.versions.get(v);
      if (entry && !entry.destroyed) entry.deletionTime = '';
    }
  }

  /** Permanently removes the data of versions (v2 `destroy`). */
  destroy(path: string, versions: number[]): void {
    const s = this.v2.get(path);
    for (const v of versions) {
      const entry = s?.versions.get(v);
      if (entry) {
        entry.destroyed = true;
        entry.data = {};
      }
    }
  }

  /** Deletes the key and all its versions (v2 metadata DELETE, v1 DELETE). */
  deleteAll(path: string): void {
    this.v1.delete(path);
    this.v2.delete(path);
  }

  metadataOf(v: KvV2Version, version: number, s: KvV2Secret): Record<string, unknown> {
    return { created_time: v.createdTime, custom_metadata: s.customMetadata, deletion_time: v.deletionTime, destroyed: v.destroyed, version };
  }

  /** Immediate children of a folder: keys, and sub-folders ending in '/'. */
  list(folder: string): string[] {
    const prefix = folder === '' || folder.endsWith('/') ? folder : `${folder}/`;
    const paths = this.version === 1 ? [...this.v1.keys()] : [...this.v2.keys()];
    const children = new Set<string>();
    for (const p of paths) {
      if (!p.startsWith(prefix)) continue;
      const rest = p.slice(prefix.length);
      const slash = rest.indexOf('/');
      children.add(slash < 0 ? rest : rest.slice(0, slash + 1));
    }
    return [...children].sort();
  }
}

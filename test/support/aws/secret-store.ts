// The data behind the test Secrets Manager: secrets with versions and staging labels,
// tags and scheduled deletion, moved the way PutSecretValue and UpdateSecretVersionStage
// move them (a new AWSCURRENT pushes the old one to AWSPREVIOUS).
import { randomUUID } from 'node:crypto';

export interface StoredVersion {
  versionId: string;
  secretString?: string;
  secretBinary?: Buffer;
  stages: Set<string>;
  createdDate: Date;
}

export interface StoredSecret {
  name: string;
  arn: string;
  versions: Map<string, StoredVersion>;
  tags: Array<{ Key: string; Value: string }>;
  description?: string;
  createdDate: Date;
  lastChangedDate: Date;
  deletedDate?: Date;
  /** Simulates a KMS key the caller may not use: reads fail with DecryptionFailure. */
  kmsDenied?: boolean;
}

export interface PutOptions {
  /** Stages for the new version (default `['AWSCURRENT']`). */
  stages?: string[];
  versionId?: string;
  tags?: Record<string, string>;
  description?: string;
}

export class SecretStore {
  readonly secrets = new Map<string, StoredSecret>();

  constructor(private readonly account: string, private readonly region: string, private readonly now: () => Date) {}

  /** Creates the secret if needed and adds a version; returns its VersionId. */
  put(name: string, value: string | Buffer, options: PutOptions = {}): string {
    const now = this.now();
    let secret = this.secrets.get(name);
    if (!secret) {
      const suffix = randomUUID().replace(/-/g, '').slice(0, 6);
      secret = { name, arn: `arn:aws:secretsmanager:${this.region}:${this.account}:secret:${name}-${suffix}`, versions: new Map(), tags: [], createdDate: now, lastChangedDate: now };
      this.secrets.set(name, secret);
    }
    if (options.tags) secret.tags = Object.entries(options.tags).map(([Key, Value]) => ({ Key, Value }));
    if (options.description !== undefined) secret.description = options.description;
    const stages = options.stages ?? ['AWSCURRENT'];
    const versionId = options.versionId ?? randomUUID();
    for (const stage of stages) this.moveStage(secret, stage, versionId);
    secret.versions.set(versionId, {
      versionId,
      ...(typeof value === 'string' ? { secretString: value } : { secretBinary: Buffer.from(value) }),
      stages: new Set(stages),
      createdDate: now,
    });
    secret.lastChangedDate = now;
    return versionId;
  }

  /** Moves `stage` onto `versionId`; moving AWSCURRENT labels the old holder AWSPREVIOUS. */
  private moveStage(secret: StoredSecret, stage: string, versionId: string): void {
    for (const v of secret.versions.values()) {
      if (v.versionId !== versionId && v.stages.delete(stage) && stage === 'AWSCURRENT') {
        for (const other of secret.versions.values()) other.stages.delete('AWSPREVIOUS');
        v.stages.add('AWSPREVIOUS');
      }
    }
  }

  /** Schedules deletion: reads then fail with InvalidRequestException, as in AWS. */
  scheduleDeletion(name: string): void {
    const s = this.secrets.get(name);
    if (s) s.deletedDate = this.now();
  }

  /** Removes a secret outright (as after its recovery window). */
  forceDelete(name: string): void {
    this.secrets.delete(name);
  }

  /** Finds by name or full ARN. */
  lookup(id: string): StoredSecret | undefined {
    const byName = this.secrets.get(id);
    if (byName) return byName;
    for (const s of this.secrets.values()) if (s.arn === id) return s;
    return undefined;
  }

  /** The version a stage or id selects; `VersionStage` defaults to AWSCURRENT. */
  selectVersion(secret: StoredSecret, versionId?: string, stage?: string): StoredVersion | undefined {
    if (versionId !== undefined) {
      const v = secret.versions.get(versionId);
      if (!v || (stage !== undefined && !v.stages.has(stage))) return undefined;
      return v;
    }
    const wanted = stage ?? 'AWSCURRENT';
    for (const v of secret.versions.values()) if (v.stages.has(wanted)) return v;
    return undefined;
  }
}

// `alias: true` (DESIGN §2): a mutable Secret named exactly `target.name` holds the current
// version's data and is updated in place, so mounted volumes refresh and references that must
// stay stable keep working. Besides creationPolicy Merge (controller/merge-target.ts), this is
// the only code that updates a Secret; every version stays immutable. Updating needs the
// optional RBAC in manifests/optional/alias-mode: it is checked with a dry-run update as soon
// as the alias exists, so a missing rule shows in the ExternalSecret's condition at once, not
// at the first rotation.
import { EXTERNAL_SECRET_REASONS } from '../api/constants.js';
import { describeKubeError, httpStatusOf } from '../kube/api-error.js';
import type { ClusterApi } from '../kube/cluster-api.js';
import type { ObjectStore } from '../kube/informer.js';
import type { SecretObject } from '../kube/kube-object.js';
import { LABEL_MANAGED } from '../versioning/labels.js';
import type { OwnerRef } from '../versioning/versioned-secret.js';
import { ANNOTATION_ALIAS_OF, ANNOTATION_VERSION, LABEL_ALIAS } from './annotations.js';
import type { WorkloadMetrics } from './workload-metrics.js';

/** The Ready reasons an alias that cannot be written gives. */
export const ALIAS_REASONS = [EXTERNAL_SECRET_REASONS.AliasConflict, EXTERNAL_SECRET_REASONS.AliasForbidden, EXTERNAL_SECRET_REASONS.AliasFailed] as const;

export const ALIAS_RBAC_HINT = 'alias mode needs update on Secrets: kubectl apply -k manifests/optional/alias-mode';

export interface AliasRequest {
  namespace: string;
  externalSecret: string;
  target: string;
  /** The current versioned Secret, whose data the alias gets. */
  current: string;
  /** Set with creationPolicy Owner: the alias goes when the ExternalSecret does. */
  owner?: OwnerRef;
}

export type AliasOutcome =
  | { ok: true; changed: boolean }
  | { ok: false; reason: (typeof ALIAS_REASONS)[number]; message: string };

export interface AliasSecretsDeps {
  api: ClusterApi;
  /** The managed-Secret cache: aliases carry the managed label, so an unchanged alias costs no request. */
  managedSecrets: ObjectStore<SecretObject>;
  metrics: WorkloadMetrics;
}

/** Whether `secret` is the alias that ExternalSecret `externalSecret` keeps. */
export function isAliasOf(secret: SecretObject | undefined, externalSecret: string): boolean {
  return secret?.metadata?.labels?.[LABEL_ALIAS] === 'true' && secret.metadata.annotations?.[ANNOTATION_ALIAS_OF] === externalSecret;
}

/** `namespace/name` of the ExternalSecret whose alias `secret` is, if it is one. */
export function aliasOwnerKey(secret: SecretObject): string | undefined {
  const es = secret.metadata?.labels?.[LABEL_ALIAS] === 'true' ? secret.metadata.annotations?.[ANNOTATION_ALIAS_OF] : undefined;
  return es ? `${secret.metadata!.namespace}/${es}` : undefined;
}

const MAX_CONFLICTS = 3;

export class AliasSecrets {
  /** `namespace/target` → version this process last wrote, until the cache shows it. */
  private readonly written = new Map<string, string>();
  /** Namespaces where a dry-run update has shown that the alias can be updated. */
  private readonly updatable = new Set<string>();

  constructor(private readonly deps: AliasSecretsDeps) {}

  async ensure(req: AliasRequest): Promise<AliasOutcome> {
    const key = `${req.namespace}/${req.target}`;
    const cached = this.deps.managedSecrets.get(req.target, req.namespace);
    const upToDate = (isAliasOf(cached, req.externalSecret) && cached?.metadata?.annotations?.[ANNOTATION_VERSION] === req.current) || this.written.get(key) === req.current;
    if (upToDate && this.updatable.has(req.namespace)) return { ok: true, changed: false };
    try {
      return await this.write(req, key);
    } catch (e) {
      this.deps.metrics.aliasWrites.inc({ outcome: 'failed' });
      const status = httpStatusOf(e);
      if (status === 403) return { ok: false, reason: 'AliasForbidden', message: `alias Secret "${req.target}" cannot be written (${describeKubeError(e)}); ${ALIAS_RBAC_HINT}` };
      return { ok: false, reason: 'AliasFailed', message: `alias Secret "${req.target}" could not be written: ${describeKubeError(e)}` };
    }
  }

  /** Deletes the alias if it is this ExternalSecret's (alias turned off, or the remote secret is gone with deletionPolicy Delete). */
  async remove(namespace: string, externalSecret: string, target: string): Promise<boolean> {
    this.written.delete(`${namespace}/${target}`);
    if (!isAliasOf(this.deps.managedSecrets.get(target, namespace), externalSecret)) return false;
    return this.deps.api.deleteSecret(namespace, target);
  }

  private async write(req: AliasRequest, key: string): Promise<AliasOutcome> {
    const { api, metrics } = this.deps;
    for (let attempt = 1; ; attempt++) {
      const existing = await api.getSecret(req.namespace, req.target);
      if (existing && !isAliasOf(existing, req.externalSecret)) {
        return { ok: false, reason: 'AliasConflict', message: `a Secret named "${req.target}" exists and is not this ExternalSecret's alias; keyferry leaves it alone` };
      }
      if (existing?.metadata?.annotations?.[ANNOTATION_VERSION] === req.current) {
        // Up to date; make sure it could be updated at the next version.
        await this.checkUpdatable(existing);
        this.written.set(key, req.current);
        return { ok: true, changed: false };
      }
      const version = await api.getSecret(req.namespace, req.current);
      if (!version?.data) return { ok: false, reason: 'AliasFailed', message: `version "${req.current}" could not be read for alias Secret "${req.target}"` };
      const desired = this.aliasSecret(req, version);
      try {
        if (!existing) {
          if (!(await api.createSecret(desired))) continue;
          metrics.aliasWrites.inc({ outcome: 'created' });
          const created = await api.getSecret(req.namespace, req.target);
          if (created) await this.checkUpdatable(created);
        } else if ((existing.type ?? 'Opaque') !== desired.type) {
          // A Secret's type cannot change: replace the alias.
          await api.deleteSecret(req.namespace, req.target);
          continue;
        } else {
          await api.updateSecret({ ...desired, metadata: { ...existing.metadata, ...desired.metadata, resourceVersion: existing.metadata?.resourceVersion } });
          this.updatable.add(req.namespace);
          metrics.aliasWrites.inc({ outcome: 'updated' });
        }
      } catch (e) {
        if (httpStatusOf(e) === 409 && attempt < MAX_CONFLICTS) continue;
        throw e;
      }
      this.written.set(key, req.current);
      return { ok: true, changed: true };
    }
  }

  /** A dry-run update: fails with 403 when the optional alias RBAC is not applied. */
  private async checkUpdatable(alias: SecretObject): Promise<void> {
    if (this.updatable.has(alias.metadata!.namespace!)) return;
    await this.deps.api.updateSecret(alias, { dryRun: true });
    this.updatable.add(alias.metadata!.namespace!);
  }

  private aliasSecret(req: AliasRequest, version: SecretObject): SecretObject & { type: string } {
    // ObjectMeta types only what is read; blockOwnerDeletion is written, as on the versions.
    const metadata = {
      name: req.target,
      namespace: req.namespace,
      labels: { [LABEL_MANAGED]: 'true', [LABEL_ALIAS]: 'true' },
      annotations: { [ANNOTATION_ALIAS_OF]: req.externalSecret, [ANNOTATION_VERSION]: req.current },
      ...(req.owner ? { ownerReferences: [{ ...req.owner, controller: true, blockOwnerDeletion: true }] } : {}),
    };
    return { apiVersion: 'v1', kind: 'Secret', metadata: metadata as SecretObject['metadata'], type: version.type ?? 'Opaque', data: version.data };
  }
}

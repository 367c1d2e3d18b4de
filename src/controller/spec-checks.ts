// What an ExternalSecret's spec says, checked before anything is fetched: the parts the
// CRD schema may not have caught (objects stored before a rule existed, or a dev cluster
// that validates less). A problem here is a SpecError: reported once, naming the field,
// and not retried until the spec changes.
import { isDuration, parseDuration } from '../api/index.js';
import { DEFAULT_RETENTION, MAX_TARGET_NAME_LENGTH, dataKeyProblem, labelValueProblem, qualifiedNameProblem } from '../versioning/index.js';
import type { ExternalSecretResource } from './types.js';
import { engineVersionProblem, isTemplated } from './template.js';

/** The shortest refresh interval; 0 (or any zero duration) means read once. Below this a refresh would be a hot loop. */
export const MIN_REFRESH_INTERVAL_MS = 1000;
export const DEFAULT_REFRESH_INTERVAL = '1h';

export interface CheckedSpec {
  targetName: string;
  /** 0: read once. */
  intervalMs: number;
  minRetentionMs: number;
  retain: number;
}

export type SpecCheck = { ok: true; spec: CheckedSpec } | { ok: false; message: string };

/** Milliseconds of a Go duration, or undefined when the text is not one. */
export function durationMs(text: string): number | undefined {
  return isDuration(text) ? parseDuration(text) : undefined;
}

export function checkSpec(es: ExternalSecretResource): SpecCheck {
  const bad = (message: string): SpecCheck => ({ ok: false, message });
  const spec = es.spec;
  if (!spec) return bad('spec is required');
  const targetName = spec.target?.name ?? es.metadata!.name!;
  if (targetName.length > MAX_TARGET_NAME_LENGTH) return bad(`spec.target.name: longer than ${MAX_TARGET_NAME_LENGTH} characters, leaving no room for the version suffix`);

  const intervalText = spec.refreshInterval ?? DEFAULT_REFRESH_INTERVAL;
  const interval = durationMs(intervalText);
  if (interval === undefined) return bad(`spec.refreshInterval: "${intervalText}" is not a duration`);
  if (interval > 0 && interval < MIN_REFRESH_INTERVAL_MS) {
    return bad(`spec.refreshInterval: "${intervalText}" is below the minimum of 1s; use 0 to read once and never refresh`);
  }
  const minRetentionText = spec.target?.versioning?.minRetention;
  const minRetentionMs = minRetentionText === undefined ? DEFAULT_RETENTION.minRetentionMs : durationMs(minRetentionText);
  if (minRetentionMs === undefined) return bad(`spec.target.versioning.minRetention: "${minRetentionText}" is not a duration`);
  const maxAgeText = spec.target?.versioning?.maxAge;
  if (maxAgeText !== undefined && durationMs(maxAgeText) === undefined) return bad(`spec.target.versioning.maxAge: "${maxAgeText}" is not a duration`);

  if (!spec.data?.length && !spec.dataFrom?.length) return bad('spec: one of data or dataFrom is required');
  const seen = new Map<string, number>();
  for (const [i, entry] of (spec.data ?? []).entries()) {
    const key = entry.secretKey;
    if (typeof key !== 'string') continue;
    const earlier = seen.get(key);
    if (earlier !== undefined) return bad(`spec.data[${i}].secretKey: "${key}" is also spec.data[${earlier}].secretKey; each key may be written once`);
    seen.set(key, i);
    const problem = dataKeyProblem(key);
    if (problem) return bad(`spec.data[${i}].secretKey: ${problem}`);
  }
  const template = spec.target?.template;
  const engineProblem = engineVersionProblem(spec);
  if (engineProblem) return bad(engineProblem);
  for (const key of Object.keys(template?.data ?? {})) {
    const problem = dataKeyProblem(key);
    if (problem) return bad(`spec.target.template.data: ${problem}`);
  }
  for (const [key, value] of Object.entries(template?.metadata?.labels ?? {})) {
    // A templated value is checked once rendered, with the data (as the API server would see it).
    const problem = qualifiedNameProblem(key) ?? (isTemplated(value) ? undefined : labelValueProblem(value));
    if (problem) return bad(`spec.target.template.metadata.labels[${JSON.stringify(key.slice(0, 64))}]: ${problem}`);
  }
  for (const key of Object.keys(template?.metadata?.annotations ?? {})) {
    const problem = qualifiedNameProblem(key.toLowerCase());
    if (problem) return bad(`spec.target.template.metadata.annotations: ${problem}`);
  }
  // Flux reads postBuild.substituteFrom from the Kustomization's own namespace, and keyferry
  // writes keyferry-versions in the ExternalSecret's: only a Kustomization there can use it. Nor
  // may a tenant make Kustomizations of other namespaces reconcile.
  const flux = spec.target?.versioning?.fluxKustomization;
  if (flux?.namespace && flux.namespace !== es.metadata?.namespace) {
    return bad(`spec.target.versioning.fluxKustomization.namespace: "${flux.namespace}" is not this ExternalSecret's namespace; only a Kustomization of its own namespace can read keyferry-versions (Flux reads substituteFrom there), so leave the namespace out`);
  }
  const retain = spec.target?.versioning?.retain ?? DEFAULT_RETENTION.retain;
  return { ok: true, spec: { targetName, intervalMs: Math.round(interval), minRetentionMs, retain } };
}

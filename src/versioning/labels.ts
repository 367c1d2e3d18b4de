// Label and annotation keys keyferry puts on the Secrets it writes (DESIGN §2; defined with
// the API), and how names too long for a label value are carried.
import { createHash } from 'node:crypto';
import { ANNOTATION_EXTERNAL_SECRET_NAME, ANNOTATION_TARGET_NAME, LABEL_EXTERNAL_SECRET, LABEL_TARGET } from '../api/constants.js';
import type { KubeObject } from '../kube/kube-object.js';

export { LABEL_EXTERNAL_SECRET, LABEL_TARGET, LABEL_MANAGED, ANNOTATION_CONTENT_HASH, ANNOTATION_REMOTE_VERSIONS, ANNOTATION_FORCE_SYNC, ANNOTATION_EXTERNAL_SECRET_NAME, ANNOTATION_TARGET_NAME } from '../api/constants.js';

/** The API server refuses label values longer than this. */
export const MAX_LABEL_VALUE_LENGTH = 63;
const HASHED_SUFFIX_LENGTH = 10;

/**
 * A name as a label value: itself when it fits, else its first 52 characters, `-` and 10 hex
 * digits of its SHA-256 (63 in all). Names are DNS subdomains, so both forms are valid label
 * values; the full name goes into an annotation beside it.
 */
export function labelValueOf(name: string): string {
  if (name.length <= MAX_LABEL_VALUE_LENGTH) return name;
  const digest = createHash('sha256').update(name).digest('hex').slice(0, HASHED_SUFFIX_LENGTH);
  return `${name.slice(0, MAX_LABEL_VALUE_LENGTH - HASHED_SUFFIX_LENGTH - 1)}-${digest}`;
}

/** The labels and annotations that say which ExternalSecret and target a version belongs to. */
export function ownerMetadata(externalSecretName: string, targetName: string): { labels: Record<string, string>; annotations: Record<string, string> } {
  const labels = { [LABEL_EXTERNAL_SECRET]: labelValueOf(externalSecretName), [LABEL_TARGET]: labelValueOf(targetName) };
  const annotations: Record<string, string> = {};
  if (labels[LABEL_EXTERNAL_SECRET] !== externalSecretName) annotations[ANNOTATION_EXTERNAL_SECRET_NAME] = externalSecretName;
  if (labels[LABEL_TARGET] !== targetName) annotations[ANNOTATION_TARGET_NAME] = targetName;
  return { labels, annotations };
}

/** The full name a label stands for: the annotation when it is the label's long form, else the label itself. */
function fullName(obj: KubeObject, label: string, annotation: string): string | undefined {
  const short = obj.metadata?.labels?.[label];
  if (short === undefined) return undefined;
  const long = obj.metadata?.annotations?.[annotation];
  return long !== undefined && labelValueOf(long) === short ? long : short;
}

/** The ExternalSecret a versioned Secret says it belongs to. */
export const externalSecretNameOf = (obj: KubeObject): string | undefined => fullName(obj, LABEL_EXTERNAL_SECRET, ANNOTATION_EXTERNAL_SECRET_NAME);
/** The `target.name` a versioned Secret says it was written for. */
export const targetNameOf = (obj: KubeObject): string | undefined => fullName(obj, LABEL_TARGET, ANNOTATION_TARGET_NAME);

// The key under which rollout `Publish` writes a target's current version in the
// `keyferry-versions` ConfigMap. Flux's postBuild.substituteFrom turns each key into a variable,
// and refuses a key that is not a valid variable name (`[_a-zA-Z][_a-zA-Z0-9]*`). A target name is
// a DNS subdomain (`[a-z0-9.-]`): `-` and `.` become `_`, and a leading digit gets a `_` before it.
// So `db-credentials` is `${db_credentials}`.

export const FLUX_VARIABLE = /^[_a-zA-Z][_a-zA-Z0-9]*$/;

export function publishKey(target: string): string {
  const key = target.replace(/[^a-zA-Z0-9_]/g, '_');
  return /^[0-9]/.test(key) ? `_${key}` : key;
}

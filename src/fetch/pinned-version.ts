// Which versions are immutable remotely, and so may be cached with no expiry. Aliases and
// stages (AWS `AWSCURRENT`, GCP `latest`) move, so only ids of the provider's own version
// format count as pinned.
import type { ProviderName } from '../../providers/contract/index.js';

const pinnedFormat: Record<ProviderName, RegExp> = {
  // The aws provider reads `uuid/<VersionId>` as a version id; anything else is a staging
  // label (AWSCURRENT, custom labels), which moves.
  aws: /^uuid\/.+$/,
  gcpsm: /^\d+$/,
  vault: /^\d+$/,
  azurekv: /^[0-9a-f]{32}$/i,
  // 1Password serves only an item's current version; a pin is a check, not an old value.
  onepassword: /(?!)/,
  fake: /^(?!latest$).+/,
};

export function isPinnedVersion(provider: ProviderName, version: string | undefined): boolean {
  return version !== undefined && pinnedFormat[provider].test(version);
}

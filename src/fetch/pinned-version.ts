// Which versions are immutable remotely, and so may be cached with no expiry. Aliases and
// stages (AWS `AWSCURRENT`, GCP `latest`) move, so only ids of the provider's own version
// format count as pinned.
import type { ProviderName } from '../../providers/contract/index.js';

const pinnedFormat: Record<ProviderName, RegExp> = {
  // AWS version ids are UUIDs; staging labels are arbitrary and mutable.
  aws: /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i,
  gcpsm: /^\d+$/,
  vault: /^\d+$/,
  azurekv: /^[0-9a-f]{32}$/i,
  onepassword: /^\d+$/,
  fake: /^(?!latest$).+/,
};

export function isPinnedVersion(provider: ProviderName, version: string | undefined): boolean {
  return version !== undefined && pinnedFormat[provider].test(version);
}

// How each kind's metadata.name (and generateName, as a prefix) is checked: most kinds take a DNS
// subdomain, some a DNS label (Namespace, StatefulSet), Services a DNS-1035 label, RBAC objects a
// path segment, Events anything.
import { isDns1035Label, isDns1123Label, isDns1123Subdomain, isValidPathSegmentName } from './identifiers.js';

/** Problems with `name`; `prefix` is true for a generateName, which may end with a dash. */
export type NameRule = (name: string, prefix: boolean) => string[];

/**
 * A generateName gets a suffix appended, so a trailing dash is fine there. This is the API
 * server's own masking, which drops the last two characters and appends one: for the check it
 * only matters that the name no longer ends with a dash.
 */
function maskTrailingDash(name: string): string {
  return name.length > 1 && name.endsWith('-') ? `${name.slice(0, -2)}a` : name;
}

export const subdomainName: NameRule = (name, prefix) => isDns1123Subdomain(prefix ? maskTrailingDash(name) : name);
export const labelName: NameRule = (name, prefix) => isDns1123Label(prefix ? maskTrailingDash(name) : name);
export const dns1035Name: NameRule = (name, prefix) => isDns1035Label(prefix ? maskTrailingDash(name) : name);
export const pathSegmentName: NameRule = (name) => isValidPathSegmentName(name);
export const anyName: NameRule = () => [];

// Removes credentials, request ids and signatures from error text before it can reach a
// log, an Event or a status. Provider SDKs echo request details into messages; this is
// the one place that knows what such details look like.

const patterns: Array<[RegExp, string]> = [
  // Bearer / Basic / token auth headers and key=value credentials.
  [/\b(Bearer|Basic|token)\s+[A-Za-z0-9._~+/=-]{8,}/gi, '$1 [redacted]'],
  [/\b(x-vault-token|authorization|x-amz-security-token|x-amz-signature|signature|client_secret|client_assertion|assertion|access_token|refresh_token|id_token|secret_id|password|sessiontoken|session_token|secretaccesskey|secret_access_key|private_key)(["']?\s*[:=]\s*["']?)[^\s"'&,;}]+/gi, '$1$2[redacted]'],
  // JWTs.
  [/\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g, '[redacted-jwt]'],
  // Vault tokens (hvs./hvb./s.) and 1Password-style long opaque tokens.
  [/\b(hv[sbr]|s)\.[A-Za-z0-9]{20,}/g, '[redacted-token]'],
  // AWS access key ids.
  [/\b(AKIA|ASIA)[A-Z0-9]{16}\b/g, '[redacted-key-id]'],
  // Request ids (AWS, Azure, GCP) vary per call and would make every message unique.
  [/\b(request[ -_]?id|x-amzn-requestid|x-ms-request-id|x-request-id|correlation[ -_]?id)(["']?\s*[:=]?\s*["']?)[A-Za-z0-9-]{8,}/gi, '$1$2[id]'],
  [/\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi, '[id]'],
];

const maxLength = 512;

/**
 * Returns `text` with credentials, ids and the given literal values removed, cut to a
 * length that fits a Kubernetes condition message.
 */
export function scrubErrorText(text: string, redact: readonly string[] = []): string {
  let out = String(text);
  for (const value of redact) {
    if (value && value.length >= 4) out = out.split(value).join('[redacted]');
  }
  for (const [pattern, replacement] of patterns) out = out.replace(pattern, replacement);
  return out.length > maxLength ? `${out.slice(0, maxLength - 1)}…` : out;
}

// Kubernetes' version priority (GA > beta > alpha, higher numbers first, then other names
// alphabetically), which orders versions in discovery and picks a group's preferred version.

function rank(v: string): [number, number, number] | undefined {
  const m = /^v(\d+)(?:(alpha|beta)(\d+))?$/.exec(v);
  if (!m) return undefined;
  return [m[2] === undefined ? 3 : m[2] === 'beta' ? 2 : 1, Number(m[1]), m[3] === undefined ? 0 : Number(m[3])];
}

export function compareVersions(a: string, b: string): number {
  const ra = rank(a);
  const rb = rank(b);
  if (ra && rb) return rb[0] - ra[0] || rb[1] - ra[1] || rb[2] - ra[2];
  if (ra) return -1;
  if (rb) return 1;
  return a.localeCompare(b);
}

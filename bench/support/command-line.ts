// `--name value` options of the benchmark scripts.

export function textArg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : def;
}

export function numberArg(name: string, def: number): number {
  return Number(textArg(name, String(def)));
}

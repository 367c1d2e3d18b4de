// The folder of keyferry's package.json, found by walking up from a module's own location:
// the same from src/ in a checkout and from dist/src/ in the package and the image, which ship
// the files read beside it (manifests/crds, dist/template-engine.wasm).
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export function packageRoot(moduleUrl: string): string {
  let dir = dirname(fileURLToPath(moduleUrl));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return dir;
}

import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

// No container engine runs here, so the Dockerfile is checked statically.
describe('Dockerfile', () => {
  const lines = readFileSync(join(root, 'Dockerfile'), 'utf8').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  const stages = lines.reduce<string[][]>((acc, l) => (l.startsWith('FROM ') ? [...acc, [l]] : (acc.at(-1)?.push(l), acc)), []);
  const ignored = readFileSync(join(root, '.dockerignore'), 'utf8').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));

  it('builds in one stage and runs from a second with production dependencies only', () => {
    assert.equal(stages.length, 2);
    const [build, runtime] = stages as [string[], string[]];
    assert.match(build[0]!, / AS build$/);
    assert.ok(build.includes('RUN npm ci --no-audit --no-fund'));
    assert.ok(build.includes('RUN npm run build'));
    assert.ok(runtime.some((l) => /^RUN npm ci --omit=dev\b/.test(l)));
    assert.ok(runtime.includes('COPY --from=build /app/dist ./dist'));
    assert.ok(!runtime.some((l) => /^COPY (src|providers|test)\b/.test(l)), 'no sources in the runtime image');
  });

  it('runs keyferry run as a numeric non-root user', () => {
    const runtime = stages[1]!;
    const user = runtime.find((l) => l.startsWith('USER '))!;
    assert.match(user, /^USER [1-9][0-9]*:[1-9][0-9]*$/);
    assert.ok(runtime.indexOf(user) > runtime.findIndex((l) => l.startsWith('RUN ')), 'USER comes after the last RUN');
    assert.equal(runtime.at(-2), 'ENTRYPOINT ["node", "bin/keyferry.js"]');
    assert.equal(runtime.at(-1), 'CMD ["run"]');
  });

  it('copies only paths that exist and are not excluded by .dockerignore', () => {
    const sources = lines.filter((l) => l.startsWith('COPY ') && !l.includes('--from=')).flatMap((l) => l.split(/\s+/).slice(1, -1));
    assert.ok(sources.length >= 6);
    for (const s of sources) {
      assert.ok(existsSync(join(root, s)), `${s} exists`);
      assert.ok(!ignored.some((p) => s === p || s.startsWith(`${p}/`)), `${s} is not dockerignored`);
    }
    for (const p of ['node_modules', '.git', 'dist', '.tools']) assert.ok(ignored.includes(p), `${p} is dockerignored`);
  });
});

#!/usr/bin/env node
// Runs the TypeScript sources via tsx in a checkout, and the compiled CLI where the sources
// are absent (the container image), so a stale dist/ never shadows the code being edited.
// KEYFERRY_COMPILED=1 runs dist/ in a checkout too (`make bench` measures what ships).
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const source = join(root, 'src', 'cli', 'main.ts');
let entry = join(root, 'dist', 'src', 'cli', 'main.js');
if (existsSync(source) && process.env.KEYFERRY_COMPILED !== '1') {
  // tsx's loader hooks run on a thread of their own, and every ES module loaded after they
  // are registered passes through that thread (and gets its source map parsed). Most of the
  // operator's ES modules are @kubernetes/client-node's ~1 000 generated files, which need no
  // compiling: importing it first keeps them off that path. Measured on `keyferry run` in a
  // checkout: ~43 MiB less RSS at startup. The compiled image does not use tsx at all.
  await import('@kubernetes/client-node');
  const { register } = await import('tsx/esm/api');
  register();
  entry = source;
}
const { main } = await import(pathToFileURL(entry).href);
process.exitCode = await main(process.argv.slice(2));

// Lint rules, including the import-direction rules of DESIGN §10:
// providers depend on the contract and their own SDK only; only the CLI (composition root)
// wires concrete providers, the dev cluster and the operator together.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const providerSdks = {
  aws: ['@aws-sdk/*', '@smithy/*'],
  vault: ['node-vault'],
  gcpsm: ['@google-cloud/secret-manager', 'google-auth-library', 'google-gax', '@grpc/grpc-js'],
  azurekv: ['@azure/*'],
  onepassword: ['@1password/connect'],
  fake: [],
};
const allSdks = Object.values(providerSdks).flat();

const providerRules = Object.entries(providerSdks).map(([name, own]) => ({
  files: [`providers/${name}/**/*.ts`],
  rules: {
    'no-restricted-imports': ['error', {
      patterns: [
        { group: ['../../*', '../*/**', '!../contract/index.js'], message: 'A provider imports only providers/contract.ts and its own SDK.' },
        { group: allSdks.filter((p) => !own.includes(p)), message: 'A provider imports only its own SDK.' },
        { group: ['@kubernetes/*', 'bottleneck', 'prom-client', 'pino', 'cockatiel'], message: 'Providers get these through the contract\'s injected dependencies.' },
      ],
    }],
  },
}));

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', '.tools/**', '.keyferry/**', 'bench/results/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', setImmediate: 'readonly', URL: 'readonly', AbortController: 'readonly', AbortSignal: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      'no-console': 'error',
    },
  },
  {
    files: ['providers/contract/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['../../*', '../*/**', ...allSdks], message: 'The provider contract depends on nothing.' }] }],
    },
  },
  ...providerRules,
  {
    files: ['src/**/*.ts'],
    ignores: ['src/cli/**'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          { group: ['**/providers/*/**', '!**/providers/contract/index.js'], message: 'Only the composition root (src/cli) imports concrete providers.' },
          { group: ['**/cli/**'], message: 'Nothing imports the composition root.' },
        ],
      }],
    },
  },
  {
    files: ['src/controller/**/*.ts', 'src/fetch/**/*.ts', 'src/kube/**/*.ts', 'src/queue/**/*.ts', 'src/metrics/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          { group: ['**/providers/*/**', '!**/providers/contract/index.js'], message: 'Only the composition root (src/cli) imports concrete providers.' },
          { group: ['**/cli/**', '**/devcluster/**'], message: 'The operator core does not depend on the CLI or the dev cluster.' },
        ],
      }],
    },
  },
  {
    files: ['test/**/*.ts', 'bench/**/*.ts', 'scripts/**/*.ts', 'src/cli/**/*.ts', 'bin/**/*.js'],
    rules: { 'no-console': 'off', '@typescript-eslint/no-non-null-assertion': 'off' },
  },
);

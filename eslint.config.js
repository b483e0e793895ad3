// ESLint (flat config) for every package: typescript-eslint's recommended rules, no import cycles, and
// the layers ARCHITECTURE.md draws, as rules that fail `npm test`. Formatting is Prettier's.
import js from '@eslint/js';
import importX from 'eslint-plugin-import-x';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const SDK = './packages/sightline/src';

export default tseslint.config(
  {
    ignores: [
      '**/dist/**',
      '**/node_modules/**',
      'test-artifacts/**',
      'bench/contenders/**',
      'bench/results/**',
      'bench/apps/**',
      'bench/.previous/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { ecmaVersion: 2023, sourceType: 'module', globals: { ...globals.node } },
    plugins: { 'import-x': importX },
    settings: {
      'import-x/resolver-next': [createTypeScriptImportResolver({ project: ['packages/*/tsconfig.json'], noWarnOnMultipleProjects: true })],
    },
    rules: {
      'import-x/no-cycle': 'error',
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/sightline/src/**', '**/viewer/src/**', '**/otlp/src/**', '!./**', '!../**'],
              message: "Import a workspace package by its name (@sightline/otlp), never another package's src/ by path.",
            },
          ],
        },
      ],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      // Instrumentation wraps library methods whose `this` is the library's, passed on with call/apply.
      '@typescript-eslint/no-this-alias': 'off',
    },
  },
  {
    // The SDK's layers (ARCHITECTURE.md, Boundaries).
    files: ['packages/sightline/src/**/*.ts'],
    rules: {
      'import-x/no-restricted-paths': [
        'error',
        {
          // Zones are relative to this file, wherever ESLint runs from.
          basePath: import.meta.dirname,
          zones: [
            {
              target: `${SDK}/instrumentation`,
              from: `${SDK}/export`,
              message: 'Instrumentations record through the @opentelemetry/api interfaces; they never import export/.',
            },
            {
              target: `${SDK}/export`,
              from: `${SDK}/instrumentation`,
              message: 'export/ knows OTLP and transports, nothing about libraries.',
            },
            {
              target: `${SDK}/instrumentation`,
              from: `${SDK}/metrics`,
              message: 'Instrumentations record through the @opentelemetry/api interfaces (their meter); they never import metrics/.',
            },
            {
              target: `${SDK}/metrics`,
              from: [`${SDK}/instrumentation`, `${SDK}/export`],
              message: 'metrics/ is the SDK behind the API meters and its readers: it knows neither libraries nor transports.',
            },
            {
              target: ['trace', 'metrics', 'export', 'instrumentation', 'context', 'propagation', 'resource', 'diag'].map(
                (layer) => `${SDK}/${layer}`,
              ),
              from: `${SDK}/config`,
              message: 'Only index.ts and lifecycle/ load the configuration; each subsystem declares the settings it takes.',
            },
          ],
        },
      ],
      // An ES-module import of node:http loads Node's undici, TLS and HTTP/2 (builtins/http.ts says why).
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: ['http', 'node:http'].map((name) => ({
            name,
            allowTypeImports: true,
            message: 'Take node:http from builtins/http.ts: its ES-module import loads undici, TLS and HTTP/2 (~8 MB of RSS).',
          })),
        },
      ],
      'no-restricted-properties': [
        'error',
        {
          object: 'process',
          property: 'env',
          message: 'config/ is the only reader of process.env: take the setting from the configuration.',
        },
      ],
    },
  },
  {
    // The configuration loader, and the `sightline` command (a program of its own, not the SDK).
    files: ['packages/sightline/src/config/**/*.ts', 'packages/sightline/src/cli/**/*.ts'],
    rules: { 'no-restricted-properties': 'off' },
  },
  {
    // The viewer runs alone: of the SDK it uses only the shared OTLP package.
    files: ['packages/viewer/src/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [{ name: 'sightline', message: 'The viewer depends on @sightline/otlp and nothing else of the SDK.' }],
          patterns: [
            {
              group: ['sightline/*', '**/sightline/src/**', '**/otlp/src/**'],
              message: 'The viewer depends on @sightline/otlp and nothing else of the SDK.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['packages/viewer/src/ui/**/*.ts'],
    languageOptions: { globals: { ...globals.browser } },
  },
  {
    // CommonJS files (fixtures, the register entry) load with require().
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // Tests read decoded protobuf and JSON of any shape.
    files: ['**/test/**/*.ts', 'bench/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
);

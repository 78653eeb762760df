// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** Layering rules from STYLE.md: cli -> server -> {sandbox, lsp, analyze} -> shared. */
const CHILD_PROCESS = ['node:child_process', 'child_process'].map((name) => ({
  name,
  message: 'Only src/shared/process.ts spawns processes.',
}));
const layer = (/** @type {string[]} */ patterns, /** @type {string} */ message) => ({
  'no-restricted-imports': [
    'error',
    { paths: CHILD_PROCESS, patterns: patterns.length ? [{ group: patterns, message }] : [] },
  ],
});

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/', 'bin/'] },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  { files: ['src/**/*.ts'], rules: layer([], '') },
  {
    files: ['src/shared/**/*.ts'],
    ignores: ['src/shared/process.ts'],
    rules: layer(
      ['**/cli/**', '**/server/**', '**/sandbox/**', '**/lsp/**', '**/analyze/**'],
      'shared/ depends on nothing above it.',
    ),
  },
  {
    files: ['src/sandbox/**/*.ts'],
    rules: layer(
      ['**/cli/**', '**/server/**', '**/lsp/**', '**/analyze/**'],
      'sandbox/ depends only on shared/.',
    ),
  },
  {
    files: ['src/lsp/**/*.ts'],
    rules: layer(
      ['**/cli/**', '**/server/**', '**/sandbox/**', '**/analyze/**'],
      'lsp/ depends only on shared/.',
    ),
  },
  { files: ['src/server/**/*.ts'], rules: layer(['**/cli/**'], 'server/ never imports cli/.') },
  {
    files: ['src/analyze/**/*.ts'],
    rules: layer(['**/cli/**', '**/server/**'], 'analyze/ never imports cli/ or server/.'),
  },
  { files: ['src/shared/process.ts'], rules: { 'no-restricted-imports': 'off' } },
  {
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
      // vitest's asymmetric matchers (expect.objectContaining, ...) are typed any.
      '@typescript-eslint/no-unsafe-assignment': 'off',
    },
  },
  { files: ['**/*.js'], ...tseslint.configs.disableTypeChecked },
);

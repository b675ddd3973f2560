// `npm run lint`: ESLint (typescript-eslint) with the import boundaries between the project's parts,
// Prettier's check, and pyright over the Python runtime (scripts/lint.mjs runs the three).
//
// The boundaries: core/ is pure (no DOM, node or vscode: its own tsconfig refuses those types too, this
// refuses the imports); extension/ (the host: VS Code, the CLI, the supervisor) and webview/ (the
// inspector page) import core/ and never each other.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const nodeBuiltins = ['node:*', 'fs', 'path', 'os', 'child_process', 'net', 'crypto', 'util', 'events', 'stream', 'worker_threads'];

export default tseslint.config(
  { ignores: ['dist/**', 'out/**', 'node_modules/**', '.cache/**', 'bench-results/**', 'test-results/**', 'media/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { ecmaVersion: 2022, sourceType: 'module' },
    rules: {
      // Lines of code stay readable; long strings (advice texts, messages) and URLs may run on.
      'max-len': [
        'error',
        {
          code: 160,
          ignoreStrings: true,
          ignoreTemplateLiterals: true,
          ignoreUrls: true,
          ignoreRegExpLiterals: true,
          ignoreComments: false,
        },
      ],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      '@typescript-eslint/no-explicit-any': 'error',
      'no-empty': ['error', { allowEmptyCatch: true }],
    },
  },
  {
    files: ['core/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [{ name: 'vscode', message: 'core/ is pure: no vscode.' }],
          patterns: [
            { group: nodeBuiltins, message: 'core/ is pure: no node modules (its tsconfig has no node types either).' },
            { group: ['**/extension/**', '**/webview/**'], message: 'core/ imports nothing of extension/ or webview/.' },
          ],
        },
      ],
    },
  },
  {
    files: ['extension/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['**/webview/**', '../webview', '../../webview'], message: 'extension/ never imports webview/: share through core/.' },
          ],
        },
      ],
    },
  },
  {
    files: ['webview/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [{ name: 'vscode', message: 'the webview runs in a browser: no vscode.' }],
          patterns: [
            {
              group: ['**/extension/**', '../extension', '../../extension'],
              message: 'webview/ never imports extension/: share through core/.',
            },
            { group: nodeBuiltins, message: 'the webview runs in a browser: no node modules.' },
          ],
        },
      ],
    },
  },
  {
    files: ['scripts/**/*.mjs', 'bench/**/*.mjs'],
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        Buffer: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        URL: 'readonly',
        setInterval: 'readonly',
        clearInterval: 'readonly',
        fetch: 'readonly',
        AbortSignal: 'readonly',
        AbortController: 'readonly',
      },
    },
  },
);

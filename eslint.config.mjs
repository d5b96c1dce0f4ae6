// ESLint: TypeScript through typescript-eslint, and eslint-plugin-regexp so that no regular expression that can
// backtrack super-linearly reaches user text (STYLE.md). `npm run lint`; part of `npm test`, so CI fails on it.
import js from '@eslint/js';
import regexp from 'eslint-plugin-regexp';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'test-artifacts/**', '.data/**'] },
  js.configs.recommended,
  tseslint.configs.recommended,
  regexp.configs['flat/recommended'],
  {
    // Plain Node scripts (the config itself, bench/peers): the Node globals they use, listed here rather than
    // through the `globals` package, which is not a dependency.
    files: ['**/*.mjs'],
    languageOptions: { globals: { console: 'readonly' } },
  },
  {
    rules: {
      'regexp/no-super-linear-backtracking': 'error',
      'regexp/no-super-linear-move': 'error',
    },
  },
);

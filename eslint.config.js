// ESLint flat config (`npm run lint`): bug-finding rules only, no formatting rules.
// TypeScript gets typescript-eslint's type-checked recommended set (no-floating-promises, no-misused-promises,
// no-unsafe-*, ...) against tsconfig.json; the few plain .js/.mjs files get @eslint/js's recommended set.
//
// solhint (`.solhint.json`; JSON takes no comments, so the reasons are here): solhint:recommended, less
// - no-inline-assembly: only in libraries/BatchEntry.sol and ReceiptHash.sol (calldata decoding, hashing), covered
//   by the codec/hash harness tests;
// - use-natspec: wants @param/@return/@author on every item, test tokens included (121 findings); the external
//   API in IBandwidthEscrow.sol has @notice/@dev prose;
// - immutable-vars-naming: style; the immutables are public, so SNAKE_CASE would rename the ABI getters;
// - gas-indexed-events, gas-strict-inequalities, gas-small-strings, gas-increment-by-one: gas hints, not bugs
//   (indexing changes the event ABI; the <= bounds are the intended ones);
// - func-visibility keeps checking functions but not constructors (they have no visibility since 0.7).
import js from '@eslint/js'
import globals from 'globals'
import tseslint from 'typescript-eslint'

export default tseslint.config(
  { ignores: ['build/', 'dist/', 'node_modules/', 'contracts/', 'migrations/', 'types/', '.tmp/', 'try/'] },
  {
    files: ['**/*.js', '**/*.mjs'],
    extends: [js.configs.recommended],
    languageOptions: { globals: globals.node },
  },
  {
    // the dashboard runs in the browser
    files: ['web/**/*.js'],
    languageOptions: { globals: globals.browser, sourceType: 'module' },
  },
  {
    files: ['**/*.ts'],
    extends: [js.configs.recommended, tseslint.configs.recommendedTypeChecked],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      // `try { ... } catch {}` is the project's idiom for best-effort steps (cleanup, probing a path).
      'no-empty': ['error', { allowEmptyCatch: true }],
      // A leading underscore marks a value destructured or taken only to be dropped.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' }],
      // Off: an async function without await still turns a throw into a rejection and fits a Promise-typed
      // interface; dropping `async` to please it would change behaviour.
      '@typescript-eslint/require-await': 'off',
      // Passing on AbortSignal.reason (typed any) is how an abort propagates.
      '@typescript-eslint/prefer-promise-reject-errors': ['error', { allowThrowingAny: true }],
    },
  },
  {
    // ethers' Contract methods are untyped (no typechain): their results are `any` by design.
    files: ['test/contracts/**/*.ts', 'scripts/bench/gas.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
    },
  },
)

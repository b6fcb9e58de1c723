import js from '@eslint/js';
import nx from '@nx/eslint-plugin';
import tseslint from 'typescript-eslint';

/**
 * Module boundaries: the domain imports no driver, adapters import only the domain, services
 * compose adapters, the tork app composes services. Tests may also use the testing lib.
 */
function boundaries(inTests, allow = []) {
  const testing = inTests ? ['type:testing'] : [];
  return {
    allow,
    depConstraints: [
      {
        sourceTag: 'type:domain',
        onlyDependOnLibsWithTags: ['type:domain', ...testing],
        bannedExternalImports: ['dockerode', 'amqplib', 'pg', 'kysely', 'fastify', '@fastify/*'],
      },
      { sourceTag: 'type:adapter', onlyDependOnLibsWithTags: ['type:domain', ...testing] },
      {
        sourceTag: 'type:testing',
        onlyDependOnLibsWithTags: ['type:domain', 'type:adapter', 'type:testing'],
      },
      { sourceTag: 'type:service', onlyDependOnLibsWithTags: ['type:domain', 'type:adapter', ...testing] },
      // Tools (the benchmarks) drive the engine from outside, with the test helpers.
      { sourceTag: 'type:tool', onlyDependOnLibsWithTags: ['type:domain', 'type:testing'] },
      // Clients (the command-line client, the web dashboard) speak HTTP only: the command-line client
      // uses no server code at all; the dashboard may name the API's types (type-only imports, see below).
      { sourceTag: 'type:client', onlyDependOnLibsWithTags: ['type:domain', 'type:service', ...testing] },
      {
        sourceTag: 'type:app',
        onlyDependOnLibsWithTags: ['type:domain', 'type:adapter', 'type:service', ...testing],
      },
    ],
  };
}

export default tseslint.config(
  {
    ignores: [
      '**/dist/**',
      '**/node_modules/**',
      '**/.nx/**',
      '**/.builds/**',
      '**/vitest.config.ts',
      '**/vitest.*.config.ts',
      'vitest.shared.ts',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { '@nx': nx },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': [
        'error',
        { considerDefaultExhaustiveForUnions: true },
      ],
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      '@nx/enforce-module-boundaries': ['error', boundaries(false)],
    },
  },
  {
    // The command-line client and the benchmarks read the API's event streams with the API's own
    // parser: that subpath is one file without imports, and nothing else of the server.
    files: ['apps/cli/**/*.ts', 'tools/bench/**/*.ts'],
    rules: {
      '@nx/enforce-module-boundaries': ['error', boundaries(false, ['@tork/coordinator-api/sse'])],
    },
  },
  {
    files: ['**/*.test.ts', '**/test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@nx/enforce-module-boundaries': ['error', boundaries(true)],
    },
  },
  {
    // The tork command is the composition root: it alone may start the service apps in one process.
    files: ['apps/tork/src/**/*.ts'],
    rules: {
      '@nx/enforce-module-boundaries': [
        'error',
        boundaries(false, ['@tork/coordinator-api', '@tork/scheduler', '@tork/worker', '@tork/migrator']),
      ],
    },
  },
  {
    // The dashboard runs in a browser: from the engine's code it takes types only, never values.
    files: ['apps/web/src/**/*.ts', 'apps/web/src/**/*.tsx'],
    rules: {
      '@nx/enforce-module-boundaries': ['error', boundaries(false, ['@tork/coordinator-api/types'])],
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['@tork/*'],
              allowTypeImports: true,
              message: 'the dashboard imports types only from the engine',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    // Node scripts run as they are (no build): the globals of Node 20.
    files: ['apps/web/scripts/**/*.mjs'],
    languageOptions: {
      globals: {
        console: 'readonly',
        fetch: 'readonly',
        performance: 'readonly',
        process: 'readonly',
        setTimeout: 'readonly',
        URL: 'readonly',
      },
    },
  },
);

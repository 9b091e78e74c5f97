// Lint and format (eslint --fix): correctness rules from eslint and typescript-eslint, React's hooks
// rules, and the style the tree already follows (tabs, single quotes, semicolons, trailing commas,
// `{a, b}`, `x =>`). `npm run lint` runs it; .ci/run runs it before the tests.
import stylistic from '@stylistic/eslint-plugin';
import reactHooks from 'eslint-plugin-react-hooks';
import tseslint from 'typescript-eslint';
import js from '@eslint/js';

export default tseslint.config(
	{ignores: ['dist/', 'node_modules/', 'coverage/']},
	js.configs.recommended,
	...tseslint.configs.recommended,
	{
		files: ['**/*.{ts,tsx,js,cjs,mjs}'],
		languageOptions: {
			ecmaVersion: 2023,
			sourceType: 'module',
			globals: {
				process: 'readonly',
				console: 'readonly',
				Buffer: 'readonly',
				URL: 'readonly',
				setTimeout: 'readonly',
				clearTimeout: 'readonly',
				setInterval: 'readonly',
				clearInterval: 'readonly',
				setImmediate: 'readonly',
				performance: 'readonly',
				AbortController: 'readonly',
				AbortSignal: 'readonly',
				TextDecoder: 'readonly',
				TextEncoder: 'readonly',
				structuredClone: 'readonly',
				queueMicrotask: 'readonly',
				globalThis: 'readonly',
				fetch: 'readonly',
				require: 'readonly',
				module: 'writable',
				__dirname: 'readonly',
				__filename: 'readonly',
				NodeJS: 'readonly',
			},
		},
		plugins: {'@stylistic': stylistic, 'react-hooks': reactHooks},
		rules: {
			// Control bytes are what the sanitizer and its tests look for.
			'no-control-regex': 'off',
			'react-hooks/rules-of-hooks': 'error',
			'react-hooks/exhaustive-deps': 'error',
			'no-empty': ['error', {allowEmptyCatch: true}],
			// A handle assigned once but read first in a callback (let request; … request = …) stays let.
			'prefer-const': ['error', {ignoreReadBeforeAssign: true}],
			'@typescript-eslint/no-unused-vars': ['error', {argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none'}],
			'@stylistic/indent': ['error', 'tab', {SwitchCase: 1, flatTernaryExpressions: true, offsetTernaryExpressions: true}],
			'@stylistic/quotes': ['error', 'single', {avoidEscape: true, allowTemplateLiterals: 'always'}],
			'@stylistic/semi': ['error', 'always'],
			'@stylistic/comma-dangle': ['error', 'always-multiline'],
			'@stylistic/object-curly-spacing': ['error', 'never'],
			'@stylistic/arrow-parens': ['error', 'as-needed'],
			'@stylistic/no-trailing-spaces': 'error',
			'@stylistic/eol-last': 'error',
			'@stylistic/brace-style': ['error', '1tbs', {allowSingleLine: true}],
			'@stylistic/keyword-spacing': 'error',
			'@stylistic/space-before-blocks': 'error',
			'@stylistic/space-infix-ops': 'error',
			'@stylistic/comma-spacing': 'error',
			'@stylistic/key-spacing': 'error',
			'@stylistic/no-multiple-empty-lines': ['error', {max: 2, maxEOF: 0}],
			'@stylistic/jsx-quotes': ['error', 'prefer-double'],
		},
	},
	{
		// CommonJS on purpose: the single-file build's bootstrap and etcd3's build-time services.
		files: ['**/*.cjs'],
		languageOptions: {sourceType: 'commonjs'},
		rules: {'@typescript-eslint/no-require-imports': 'off'},
	},
);

import { defineConfig } from 'vitest/config'

/**
 * The test projects: one per package (each has its own vitest.config.ts), and the demo run end to end.
 * Vitest 4+ does not pick up workspace files by itself; `pnpm test` passes this one as --config.
 */
export default defineConfig({
	test: {
		projects: ['packages/*', 'demo'],
		// `pnpm test` runs with --coverage; running one project (--project core) does not, so these
		// thresholds only judge whole runs.
		coverage: {
			provider: 'v8',
			include: ['packages/*/src/**/*.ts'],
			reporter: ['text-summary', ['text', { skipFull: true, skipEmpty: true }]],
			// One threshold per package, a few points under what the tests reach (measured 2026-11-22:
			// see CONTRIBUTING.md), so that a change which leaves code untested fails CI. Coverage
			// options cannot be set per project (vitest ignores `coverage` in defineProject), hence the
			// globs here. `COVERAGE_RATCHET=1 pnpm test` raises each threshold to two points under the
			// result where that is higher (then `pnpm format`); thresholds never go down by themselves.
			thresholds: {
				autoUpdate: process.env.COVERAGE_RATCHET ? (actual: number, previous: number) => Math.max(previous, Math.floor(actual) - 2) : false,
				'packages/core/src/**': { lines: 92, statements: 90, functions: 92, branches: 85 },
				'packages/axios/src/**': { lines: 92, statements: 89, functions: 97, branches: 79 },
				'packages/ky/src/**': { lines: 95, statements: 95, functions: 91, branches: 88 },
				'packages/fetch/src/**': { lines: 88, statements: 84, functions: 71, branches: 81 },
				'packages/redis/src/**': { lines: 90, statements: 86, functions: 90, branches: 81 },
				'packages/testing/src/**': { lines: 93, statements: 91, functions: 96, branches: 84 },
				'packages/cli/src/**': { lines: 92, statements: 88, functions: 89, branches: 75 },
			},
		},
	},
})

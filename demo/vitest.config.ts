import { defineProject } from 'vitest/config'
import { sourceAliases } from '../vitest.shared.ts'

/** Runs `demo/run.ts` end to end against the built packages, as `pnpm demo` does. */
export default defineProject({
	// In-test imports of the packages use their sources (the tour itself runs against the build).
	resolve: { alias: sourceAliases },
	test: {
		name: 'demo',
		include: ['test/**/*.test.ts'],
		environment: 'node',
		// The demo itself takes about fifteen seconds; building the packages first, when needed, more.
		testTimeout: 60_000,
		hookTimeout: 120_000,
	},
})

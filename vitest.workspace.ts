import { defineConfig } from 'vitest/config'

/**
 * The test projects: one per package (each has its own vitest.config.ts), and the demo run end to end.
 * Vitest 4+ does not pick up workspace files by itself; `pnpm test` passes this one as --config.
 */
export default defineConfig({
	test: {
		projects: ['packages/*', 'demo'],
		coverage: {
			provider: 'v8',
			include: ['packages/*/src/**/*.ts'],
			reporter: ['text-summary', 'text'],
		},
	},
})

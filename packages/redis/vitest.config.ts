import { defineProject } from 'vitest/config'
import { sourceAliases } from '../../vitest.shared.ts'

export default defineProject({
	resolve: { alias: sourceAliases },
	test: {
		name: 'redis',
		include: ['test/**/*.test.ts'],
		environment: 'node',
		globalSetup: ['test/global-setup.ts'],
		// Multi-process tests start child processes and wait out real (short) token lifetimes.
		testTimeout: 30_000,
		hookTimeout: 30_000,
	},
})

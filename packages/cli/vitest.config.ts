import { fileURLToPath } from 'node:url'
import { defineProject } from 'vitest/config'
import { sourceAliases } from '../../vitest.shared.ts'

export default defineProject({
	resolve: {
		alias: {
			...sourceAliases,
			'@tokenwarden/cli': fileURLToPath(new URL('./src/index.ts', import.meta.url)),
		},
	},
	test: {
		name: 'cli',
		include: ['test/**/*.test.ts'],
		environment: 'node',
		// The subprocess runs dist/cli.js: build it (and the core, if it was never built) first.
		globalSetup: ['test/build.ts'],
		// Each test starts the CLI as a child process (Node startup plus module loading).
		testTimeout: 20_000,
	},
})

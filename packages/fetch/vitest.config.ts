import { fileURLToPath } from 'node:url'
import { defineProject } from 'vitest/config'
import { sourceAliases } from '../../vitest.shared.ts'

export default defineProject({
	resolve: {
		alias: {
			...sourceAliases,
			'@tokenwarden/fetch': fileURLToPath(new URL('./src/index.ts', import.meta.url)),
		},
	},
	test: {
		name: 'fetch',
		include: ['test/**/*.test.ts'],
		environment: 'node',
	},
})

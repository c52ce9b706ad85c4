import { defineProject } from 'vitest/config'
import { sourceAliases } from '../../vitest.shared.ts'

export default defineProject({
	resolve: { alias: sourceAliases },
	test: {
		name: 'testing',
		include: ['test/**/*.test.ts'],
		environment: 'node',
	},
})

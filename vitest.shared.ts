import { fileURLToPath } from 'node:url'

/** Tests import packages by name but run against their sources: no build step before `pnpm test`. */
export const sourceAliases = {
	'@tokenwarden/core/providers': fileURLToPath(new URL('./packages/core/src/providers/index.ts', import.meta.url)),
	'@tokenwarden/core/adapter': fileURLToPath(new URL('./packages/core/src/adapter/index.ts', import.meta.url)),
	'@tokenwarden/testing': fileURLToPath(new URL('./packages/testing/src/index.ts', import.meta.url)),
	'@tokenwarden/core': fileURLToPath(new URL('./packages/core/src/index.ts', import.meta.url)),
}

import ky, { type Hooks, type KyInstance, type Options } from 'ky'
import { describe, expectTypeOf, test } from 'vitest'
import type { TokenManager } from '@tokenwarden/core'
import { type TokenHooksOptions, tokenHooks, type TokenwardenContext, withTokens } from '@tokenwarden/ky'

declare const tokens: TokenManager

describe('types', () => {
	test('TokenwardenContext fits ky context and types the tokenwarden entry', () => {
		expectTypeOf<TokenwardenContext>().toExtend<NonNullable<Options['context']>>()
		expectTypeOf<{ tokenwarden: false }>().toExtend<TokenwardenContext>()
		expectTypeOf<{ tokenwarden: { scope: 'cob.write'; subject: 'account-42' } }>().toExtend<TokenwardenContext>()
		expectTypeOf<{ tokenwarden: { scope: readonly ['a', 'b'] } }>().toExtend<TokenwardenContext>()
		expectTypeOf<{ tokenwarden: true }>().not.toExtend<TokenwardenContext>()
		expectTypeOf<{ tokenwarden: { subject: 42 } }>().not.toExtend<TokenwardenContext>()
		// Type-level only: never called.
		const call = (api: KyInstance) => [
			api.get('cob', { context: { tokenwarden: { subject: 'account-42' } } satisfies TokenwardenContext }),
			// @ts-expect-error: true is not an option
			api.get('cob', { context: { tokenwarden: true } satisfies TokenwardenContext }),
		]
		expectTypeOf(call).parameter(0).toEqualTypeOf<KyInstance>()
	})

	test('withTokens returns a ky instance; tokenHooks returns ky hooks, origins optional', () => {
		const install = () => withTokens(ky.create({ baseUrl: 'https://api.example.com' }), tokens, { scope: 'cob.read' })
		expectTypeOf(install).returns.toEqualTypeOf<KyInstance>()
		expectTypeOf(tokenHooks).returns.toEqualTypeOf<Hooks>()
		expectTypeOf<TokenHooksOptions['origins']>().toEqualTypeOf<readonly string[] | undefined>()
		const fromBaseUrl = () => ky.create({ baseUrl: 'https://api.example.com', hooks: tokenHooks(tokens, { scope: 'cob.read' }) })
		expectTypeOf(fromBaseUrl).returns.toEqualTypeOf<KyInstance>()
		// @ts-expect-error: scope is a string or an array of strings
		const wrongScope = () => tokenHooks(tokens, { scope: 42 })
		expectTypeOf(wrongScope).returns.toEqualTypeOf<Hooks>()
	})
})

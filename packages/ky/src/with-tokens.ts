import { type Hooks, type KyInstance, replaceOption } from 'ky'
import { resolveAdapterSettings } from '@tokenwarden/core/adapter'
import { baseOrigin } from './base-origin.js'
import { createHooks, ownHooks } from './token-hooks.js'
import type { TokenSource, WithTokensOptions } from './types/options.js'

/**
 * A ky instance like `client` whose requests to its own origin (from `baseUrl` or `prefix`) and to
 * `origins` carry tokens from the manager (see {@link tokenHooks}). ky instances are immutable:
 * use the returned one. Installing on an instance that already has these hooks replaces them.
 *
 * @throws TypeError when the options are wrong or the client has no absolute `baseUrl`/`prefix` and no `origins` are given.
 */
export function withTokens(client: KyInstance, manager: TokenSource, options?: WithTokensOptions): KyInstance {
	if (typeof client?.extend !== 'function') throw new TypeError('tokenwarden: withTokens needs a ky instance (ky, ky.create() or .extend())')
	return client.extend((parent) => {
		const settings = resolveAdapterSettings(manager, options, baseOrigin(parent), 'withTokens')
		return {
			hooks: replaceOption(
				withoutOwn(
					parent.hooks,
					createHooks(() => settings),
				),
			),
		}
	})
}

/** The parent's hooks with an earlier installation taken out, and the new one after them. */
function withoutOwn(parent: Hooks | undefined, own: Hooks): Hooks {
	const hooks: Record<string, unknown[]> = {}
	for (const [name, list] of Object.entries(parent ?? {})) {
		if (Array.isArray(list)) hooks[name] = list.filter((hook) => !ownHooks.has(hook))
	}
	for (const [name, list] of Object.entries(own)) hooks[name] = [...(hooks[name] ?? []), ...(list as unknown[])]
	return hooks as Hooks
}

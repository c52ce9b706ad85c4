import type { Hooks, KyInstance, Options } from 'ky'
import { createTokenPolicy, resolveAdapterSettings } from '@tokenwarden/core/adapter'
import { baseOrigin } from './base-origin.js'
import { createInstallation, ownHooks, splitDecoration } from './token-hooks.js'
import type { TokenSource, WithTokensOptions } from './types/options.js'

const hookNames = ['init', 'beforeRequest', 'beforeRetry', 'afterResponse', 'beforeError'] as const

/**
 * A ky instance like `client` whose requests to its own origin (from `baseUrl` or `prefix`, on ky 1
 * `prefixUrl`) and to `origins` carry tokens from the manager (see {@link tokenHooks}). ky instances
 * are immutable: use the returned one. Installing on an instance that already has these hooks replaces them.
 *
 * Works with ky 1 and 2, and with whichever copy of ky `client` comes from: everything goes through
 * the client's own `extend`, nothing through a value of this package's `ky` import.
 *
 * @throws TypeError when the options are wrong or the client has no absolute `baseUrl`/`prefix` and no `origins` are given.
 */
export function withTokens(client: KyInstance, manager: TokenSource, options?: WithTokensOptions): KyInstance {
	if (typeof client?.extend !== 'function') throw new TypeError('tokenwarden: withTokens needs a ky instance (ky, ky.create() or .extend())')
	const [adapterOptions, decoration] = splitDecoration(options, 'withTokens')
	const kyTwo = runsInitHooks(client)
	let parentHooks: Hooks | undefined
	let own: Hooks | undefined
	let replacing = false
	const extended = client.extend((parent: Options & { prefixUrl?: unknown }) => {
		const policy = createTokenPolicy(resolveAdapterSettings(manager, adapterOptions, baseOrigin(parent), 'withTokens'))
		const installed = createInstallation(() => policy, decoration)
		own = kyTwo ? installed.kyTwoHooks : installed.hooks
		parentHooks = parent.hooks
		replacing = Object.values(parent.hooks ?? {}).some((list) => Array.isArray(list) && list.some((hook) => ownHooks.has(hook)))
		// ky 1 has no init hook: the token goes on in this wrapper of the instance's fetch (see createInstallation).
		const more = kyTwo ? {} : { fetch: installed.wrapFetch(parent.fetch) }
		// An earlier installation is taken out: ky empties a hook list given as undefined (ky ≥ 1.6), and
		// the lists without it go back on in a second extend below.
		if (replacing) return { ...more, hooks: Object.fromEntries(hookNames.map((name) => [name, undefined])) as Hooks }
		return { ...more, hooks: own }
	})
	if (!replacing || own === undefined) return extended
	return extended.extend({ hooks: withoutOwn(parentHooks, own) })
}

/**
 * Whether the instance's ky runs `init` hooks (ky 2): its option merge always lists them. Told by
 * extending it (instances are immutable: nothing changes), not by a value of this package's ky.
 */
function runsInitHooks(client: KyInstance): boolean {
	let found = false
	client.extend({ hooks: {} }).extend((parent: Options) => {
		found = Object.hasOwn(parent.hooks ?? {}, 'init')
		return {}
	})
	return found
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

import type { Token, TokenRequest } from './types/token.js'

/**
 * Key of the manager's synchronous hot path: the token `getToken(request)` would resolve to at once
 * (cached and fresh; a refresh ahead started when due), or undefined when `getToken` would wait, ask
 * the token endpoint or fail. Adapters use it (through `TokenPolicy.cachedToken`) to put a cached token
 * on a request without a promise turn; anything else goes through `getToken`. A registered symbol, so
 * that the ES module and CommonJS copies of core see the same key.
 */
export const CACHED_TOKEN: unique symbol = Symbol.for('tokenwarden.cachedToken')

/** What the manager keeps under {@link CACHED_TOKEN}. */
export type CachedTokenLookup = (request?: TokenRequest) => Token | undefined

/** The manager's synchronous lookup, or undefined for a token source without one (a test double, another manager). */
export function cachedTokenLookup(source: object): CachedTokenLookup | undefined {
	const lookup = (source as { [CACHED_TOKEN]?: unknown })[CACHED_TOKEN]
	return typeof lookup === 'function' ? (lookup as CachedTokenLookup) : undefined
}

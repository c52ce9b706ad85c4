import { cachedTokenLookup } from '../cached-token.js'
import type { Token, TokenRequest } from '../types/token.js'
import type { ResponseView } from '../types/adapter.js'
import { authorizationHeader } from './authorization.js'
import { isInsufficientScope } from './challenge.js'
import { isAllowed } from './origins.js'
import { type AdapterSettings, requestTokenOf as requestTokenOfDefaults } from './settings.js'
import { globalTimers, type WaitTimers, withinTimeout } from './token-wait.js'

/** What {@link TokenPolicy.classify} says about a response to a request that carried a token. */
export type ResponseVerdict = 'token-rejected' | 'pass'

/** How long a request may wait for its token: the caller's abort signal and the client's timeout (ms), each optional. */
export interface TokenWait {
	/** Aborting it stops this request's wait (an `AbortError`); the shared token request goes on for the others. */
	signal?: AbortSignal | undefined
	/** Milliseconds; past it the wait rejects with a `TokenWaitTimeoutError`. */
	timeout?: number | undefined
}

/**
 * The one 401 policy of every HTTP client adapter (axios, ky, fetch, undici, your own). An adapter
 * only translates its client's request and response; this decides everything else:
 *
 * 1. {@link TokenPolicy.allows}: a token goes only to an allowed origin ([RFC 6750 §5.3](https://www.rfc-editor.org/rfc/rfc6750#section-5.3)).
 * 2. {@link TokenPolicy.tokenFor} and {@link TokenPolicy.authorizationHeader}: the token and the header it is sent in.
 * 3. {@link TokenPolicy.classify}: only a response from an allowed origin (the final URL, after redirects) can reject
 *    the token; by default a 401, unless its `WWW-Authenticate` Bearer challenge says `insufficient_scope`
 *    ([RFC 6750 §3.1](https://www.rfc-editor.org/rfc/rfc6750#section-3.1)); with `isTokenRejected`, whatever the user's function says.
 * 4. {@link TokenPolicy.afterRejection}: drop the token sent (compare-and-delete), ask for a token again, and
 *    retry at most once, only when that token differs from the one sent. The manager does not drop a
 *    freshly issued replacement again until a cooldown passes, so an API that rejects every token gets
 *    the same token back and its 401 goes to the caller: no storm on the token endpoint.
 *
 * The hot path (cached token, allowed origin, 2xx) costs no promise and no allocation here: {@link TokenPolicy.cachedToken}
 * hands over the cached token synchronously.
 *
 * @example An adapter's loop
 * ```ts
 * const policy = createTokenPolicy(resolveAdapterSettings(manager, options, baseOrigin, 'withTokens'))
 * async function send(url: string, request: TokenRequest, signal?: AbortSignal) {
 *   if (!policy.allows(url)) return call(url, undefined)
 *   const token = policy.cachedToken(request) ?? (await policy.tokenFor(request, { signal }))
 *   const response = await call(url, policy.authorizationHeader(token))
 *   if (policy.classify(response) === 'pass') return response
 *   const fresh = await policy.afterRejection(token, request, replayable ? { signal } : false)
 *   if (fresh === undefined) return response
 *   await response.body?.cancel()
 *   const second = await call(url, policy.authorizationHeader(fresh))
 *   if (policy.classify(second) === 'token-rejected') await policy.afterRejection(fresh, request, false)
 *   return second
 * }
 * ```
 */
export interface TokenPolicy {
	/** The validated adapter settings this policy applies. */
	readonly settings: AdapterSettings
	/** Whether a request to `url` (absolute) may carry a token: its origin is one of the allowed ones. */
	allows(url: string | URL | undefined): boolean
	/** The token request for one request's own option (`where` names it in errors), over the client's defaults; false for none. */
	tokenRequestOf(option: unknown, where: string): TokenRequest | false
	/**
	 * The token for `request` when the manager has it in hand (cached and fresh), without a promise:
	 * what `tokenFor` would resolve to at once. Undefined when the token has to be waited for (or the
	 * manager is not one of `createTokenManager`'s): then call {@link TokenPolicy.tokenFor}.
	 */
	cachedToken(request: TokenRequest): Token | undefined
	/** The token for `request`, its wait bounded by `wait` (the caller's signal, the client's timeout). */
	tokenFor(request: TokenRequest, wait?: TokenWait): Promise<Token>
	/** `Authorization` header value for `token` (the last one is remembered, so the hot path formats nothing). */
	authorizationHeader(token: Token): string
	/**
	 * Whether a response to a request that carried a token rejects that token. Synchronous; a
	 * non-401 costs one comparison (unless `isTokenRejected` was given, which is then called).
	 */
	classify(response: ResponseView): ResponseVerdict
	/**
	 * After a `'token-rejected'` response: drops `sent` if it is still the manager's (compare-and-delete),
	 * then, when `retry` is given (not false) and `retryUnauthorized` is on, asks for a token again and
	 * resolves to it if it differs from `sent`: the caller retries once with it. Resolves undefined when
	 * the caller must pass the response on. Errors of the manager (OAuthError, ...) reject.
	 */
	afterRejection(sent: Token, request: TokenRequest, retry: TokenWait | false): Promise<Token | undefined>
}

/** Options of {@link createTokenPolicy}. */
export interface TokenPolicyOptions {
	/** Timers for the token wait's timeout (tests); default the global ones. */
	timers?: WaitTimers | undefined
}

/** Builds the policy for one client's validated settings (see {@link resolveAdapterSettings}). */
export function createTokenPolicy(settings: AdapterSettings, options: TokenPolicyOptions = {}): TokenPolicy {
	const { manager, origins, retryUnauthorized, defaults, isTokenRejected } = settings
	const timers = options.timers ?? globalTimers
	let lastToken: Token | undefined
	let lastHeader = ''
	const lookup = cachedTokenLookup(manager)

	function tokenFor(request: TokenRequest, wait?: TokenWait): Promise<Token> {
		const signal = wait?.signal
		const pending = manager.getToken(signal === undefined ? request : { ...request, signal })
		const timeout = wait?.timeout
		return timeout === undefined || timeout <= 0 || !Number.isFinite(timeout) ? pending : withinTimeout(pending, timeout, timers)
	}

	return {
		settings,
		allows: (url) => isAllowed(url, origins),
		tokenRequestOf: (option, where) => requestTokenOfDefaults(option, defaults, where),
		cachedToken: lookup ?? (() => undefined),
		tokenFor,
		authorizationHeader(token) {
			if (token !== lastToken) {
				lastHeader = authorizationHeader(token)
				lastToken = token
			}
			return lastHeader
		},
		classify(response) {
			if (isTokenRejected === undefined && response.status !== 401) return 'pass'
			// The final URL after redirects: a response from elsewhere says nothing about the token (which did not go there).
			const url = response.url
			if (url !== undefined && url !== '' && !isAllowed(url, origins)) return 'pass'
			if (isTokenRejected !== undefined) return isTokenRejected(response) === true ? 'token-rejected' : 'pass'
			return isInsufficientScope(headerOf(response, 'www-authenticate')) ? 'pass' : 'token-rejected'
		},
		async afterRejection(sent, request, retry) {
			// Compare-and-delete: many requests rejected with the same token drop it once; the manager keeps a
			// replacement it issued moments ago (its cooldown), so a token rejected again comes back unchanged.
			await manager.invalidate(sent)
			if (retry === false || !retryUnauthorized) return undefined
			const fresh = await tokenFor(request, retry)
			return fresh.accessToken === sent.accessToken ? undefined : fresh
		},
	}
}

/** A header of the response as one string (lists joined as RFC 9110 §5.3 combines field lines). */
function headerOf(response: ResponseView, name: string): string | undefined {
	const value = response.headers?.get(name)
	if (typeof value === 'string') return value
	if (Array.isArray(value)) return value.join(', ')
	return undefined
}

import type { ApiRequestDecoration } from '@tokenwarden/core/providers'
import type { AdapterOptions, RequestTokenOptions, TokenSource } from '@tokenwarden/core/adapter'

export type { ApiRequestDecoration }
export type { RequestTokenOptions, TokenSource }

/**
 * The per-request ky `context` this adapter reads: `tokenwarden: false` sends no token, an object
 * picks the token. ky types `context` as `Record<string, unknown>`, so check yours with
 * `context: { tokenwarden: { subject } } satisfies TokenwardenContext`.
 * (A type alias, not an interface: it must stay assignable to ky's `Record<string, unknown>`.)
 */
export type TokenwardenContext = {
	/** `false`: no token for this request; `{ scope, subject }`: which token (default: the client's). */
	tokenwarden?: false | RequestTokenOptions | undefined
}

/** Options of {@link withTokens}: `scope`, `subject`, `origins` (beyond the client's base URL), `retryUnauthorized`, `isTokenRejected`, `decorate`. */
export interface WithTokensOptions extends AdapterOptions {
	/**
	 * What the provider's API needs on every request besides the token: an {@link ApiRequestDecoration}
	 * `{ searchParams, headers }`, as `bancoDoBrasilApi()`, `sicoobApi()` and `interApi()` from
	 * `@tokenwarden/core/providers` return it. Added only to requests that carry a token to an allowed
	 * origin (an application key is a credential too: never to another origin, nor with `tokenwarden: false`),
	 * and never over a query parameter or header the request already has. Checked when installed.
	 */
	decorate?: ApiRequestDecoration | undefined
}

/**
 * Options of {@link tokenHooks}: the same as {@link WithTokensOptions}. Without `origins`, tokens go to
 * the `baseUrl` / `prefix` origin each call is made with; a call with neither fails with a TypeError.
 */
export interface TokenHooksOptions extends WithTokensOptions {}

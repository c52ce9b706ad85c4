import type { ApiRequestDecoration } from '@tokenwarden/core/providers'
import type { AdapterOptions, RequestTokenOptions, TokenSource } from '@tokenwarden/core/adapter'

export type { ApiRequestDecoration }
export type { RequestTokenOptions, TokenSource }

/**
 * What {@link withTokens} needs of an axios instance, by shape: instances typed by axios' `import` types,
 * by its `require` types (CommonJS projects) or by another axios 1.x release all fit, and `withTokens`
 * returns the instance with its own type.
 */
export interface AxiosInstanceLike {
	/** axios' interceptor managers: `withTokens` adds one request interceptor. */
	interceptors: {
		/** The request interceptors. */
		request: {
			/** Adds an interceptor (axios' `use(onFulfilled, onRejected, options)`). */
			use(...args: never[]): unknown
		}
	}
	/** The instance's defaults: `withTokens` reads the base URL. */
	defaults: {
		/** Its origin may receive tokens. */
		baseURL?: string | undefined
	}
	/** axios' URL builder; its presence tells an axios instance from other objects. */
	getUri(...args: never[]): string
}

/**
 * The per-request `tokenwarden` option: `false` sends no token, an object picks the token.
 * Leave it out for the client's defaults.
 */
export type TokenwardenRequestOption = false | RequestTokenOptions

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

declare module 'axios' {
	// The type parameters must match axios' own declaration (axios >= 1.19 has `<D, P>`).
	interface AxiosRequestConfig<D = any, P = any> {
		/** Token for this request: `false` for none, or `{ scope, subject }` (see `@tokenwarden/axios`). */
		tokenwarden?: TokenwardenRequestOption | undefined
	}
}

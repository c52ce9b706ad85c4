import type { AdapterOptions, RequestTokenOptions, TokenSource } from '@tokenwarden/core/adapter'

export type { RequestTokenOptions, TokenSource }

/**
 * What {@link withTokens} needs of an axios instance, by shape: instances typed by axios' `import` types,
 * by its `require` types (CommonJS projects) or by another axios 1.x release all fit, and `withTokens`
 * returns the instance with its own type.
 */
export interface AxiosInstanceLike {
	interceptors: { request: { use(...args: never[]): unknown } }
	defaults: { baseURL?: string | undefined }
	getUri(...args: never[]): string
}

/**
 * The per-request `tokenwarden` option: `false` sends no token, an object picks the token.
 * Leave it out for the client's defaults.
 */
export type TokenwardenRequestOption = false | RequestTokenOptions

/** Options of {@link withTokens}: `scope`, `subject`, `origins` (beyond the client's base URL), `retryUnauthorized`. */
export interface WithTokensOptions extends AdapterOptions {}

declare module 'axios' {
	// The type parameters must match axios' own declaration (axios >= 1.19 has `<D, P>`).
	interface AxiosRequestConfig<D = any, P = any> {
		/** Token for this request: `false` for none, or `{ scope, subject }` (see `@tokenwarden/axios`). */
		tokenwarden?: TokenwardenRequestOption | undefined
	}
}

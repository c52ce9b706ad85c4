import type { Token, TokenRequest } from '@tokenwarden/core'
import { type AdapterSettings, originOf } from '@tokenwarden/core/adapter'
import { createRequire } from 'node:module'
import { type AxiosAdapter, AxiosHeaders, type AxiosRequestConfig, type AxiosResponse, getAdapter, type InternalAxiosRequestConfig } from 'axios'

/** What the request interceptor sent with one request. */
export interface Attempt {
	settings: AdapterSettings
	request: TokenRequest
	token: Token
}

/**
 * Configs that went out with a token, as the interceptors and as the adapter saw them (axios hands the
 * adapter a flat copy when an interceptor returned a config with a prototype): their responses and
 * errors get the header hidden.
 */
export const sentWithToken = new WeakSet<object>()

/** Adapters made here, with the adapter setting each one wraps. */
const wrapped = new WeakMap<AxiosAdapter, AxiosRequestConfig['adapter']>()

/**
 * The request's own adapter setting, without a wrapper made here: a config that comes back (a caller
 * sending `error.config` again) gets one wrapper, not one per earlier attempt.
 */
export function ownAdapter(adapter: AxiosRequestConfig['adapter']): AxiosRequestConfig['adapter'] {
	return typeof adapter === 'function' && wrapped.has(adapter) ? wrapped.get(adapter) : adapter
}

/**
 * An adapter that sends the request with `adapter` (a name, a function or a list, resolved by axios'
 * own `getAdapter` when the request is dispatched) and, after a 401 from an allowed origin
 * ([RFC 6750 §3.1](https://www.rfc-editor.org/rfc/rfc6750#section-3.1) `invalid_token`), drops the
 * token sent and, when allowed, sends the same config once more with a fresh token. It sits beneath
 * the interceptor chain, so the interceptors (and `transformRequest`/`transformResponse`) run once
 * per request whatever happens here.
 */
export function retryingAdapter(adapter: AxiosRequestConfig['adapter'], { settings, request, token }: Attempt): AxiosAdapter {
	const { manager, retryUnauthorized } = settings
	const retrying: AxiosAdapter = async (config) => {
		sentWithToken.add(config)
		const send = adapterResolverOf(config)(adapter, config)
		const first = send(config)
		const response = await first.catch(unauthorizedResponse)
		if (!isUnauthorized(response, settings)) return first
		// Compare-and-delete, on every 401, retried or not: many requests failing with the same stale token
		// cause one token request, and a request that is not retried does not leave the token for the next ones.
		await manager.invalidate(token)
		if (!retryUnauthorized || !replayable(config.data)) return first
		void discard(response.data)
		const fresh = await manager.getToken(withSignal(request, config))
		config.headers.set('Authorization', `${fresh.tokenType} ${fresh.accessToken}`)
		const second = send(config)
		if (isUnauthorized(await second.catch(unauthorizedResponse), settings)) await manager.invalidate(fresh)
		return second
	}
	wrapped.set(retrying, adapter)
	return retrying
}

/** The token request with the caller's abort signal: aborting the request stops its wait for a token too. */
export function withSignal(request: TokenRequest, config: InternalAxiosRequestConfig): TokenRequest {
	return config.signal instanceof AbortSignal ? { ...request, signal: config.signal } : request
}

/** The response of an axios error for a 401 (the default `validateStatus` rejects it); any other failure is thrown again. */
function unauthorizedResponse(error: unknown): AxiosResponse {
	const response = (error as { isAxiosError?: boolean; response?: AxiosResponse } | undefined)?.response
	if ((error as { isAxiosError?: boolean } | undefined)?.isAxiosError === true && response?.status === 401) return response
	throw error
}

/** A 401 says something about the token only when it came from an allowed origin (after redirects, where axios tells). */
function isUnauthorized(response: AxiosResponse, settings: AdapterSettings): boolean {
	if (response.status !== 401) return false
	const finalUrl = (response.request as { res?: { responseUrl?: unknown } } | undefined)?.res?.responseUrl
	return typeof finalUrl !== 'string' || settings.origins.has(originOf(finalUrl) ?? '')
}

/** A body that can be sent again: not a stream or an async iterable, which the first attempt consumed. */
function replayable(data: unknown): boolean {
	if (typeof data !== 'object' || data === null) return true
	if (typeof (data as { pipe?: unknown }).pipe === 'function') return false
	if (data instanceof ReadableStream) return false
	return typeof (data as { [Symbol.asyncIterator]?: unknown })[Symbol.asyncIterator] !== 'function'
}

/** Releases the connection of a 401 that is not passed on, when its body is a stream (`responseType: 'stream'`). */
async function discard(data: unknown): Promise<void> {
	try {
		if (data instanceof ReadableStream) await data.cancel()
		else if (typeof (data as { destroy?: unknown } | null)?.destroy === 'function') (data as { destroy(): void }).destroy()
	} catch {
		// The connection goes away either way.
	}
}

type GetAdapter = typeof getAdapter
let requiredAxios: { AxiosHeaders?: unknown; getAdapter?: GetAdapter } | undefined

/**
 * `getAdapter` of the axios copy the request belongs to. axios ships an ES module and a CommonJS build;
 * this package imports the first, a CommonJS program `require`s the second. Adapters of the other copy
 * would reject with that copy's `AxiosError`, which fails the caller's `instanceof AxiosError`. The
 * request's `AxiosHeaders` tells the copies apart.
 */
function adapterResolverOf(config: InternalAxiosRequestConfig): GetAdapter {
	const headers: object = config.headers
	if (headers instanceof AxiosHeaders) return getAdapter
	requiredAxios ??= createRequire(import.meta.url)('axios')
	const { AxiosHeaders: Headers, getAdapter: resolve } = requiredAxios ?? {}
	return typeof Headers === 'function' && headers instanceof Headers && typeof resolve === 'function' ? resolve : getAdapter
}

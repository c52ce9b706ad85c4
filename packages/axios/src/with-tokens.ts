import type { Token, TokenRequest } from '@tokenwarden/core'
import type { AxiosInstance, AxiosResponse, InternalAxiosRequestConfig } from 'axios'
import { concealError, concealHeader } from './conceal.js'
import { originOf } from '@tokenwarden/core/adapter'
import { guardRedirects } from './redirects.js'
import { type AdapterSettings, requestTokenOf, resolveAdapterSettings } from '@tokenwarden/core/adapter'
import type { RequestTokenOptions, TokenSource, WithTokensOptions } from './types/options.js'

/** What the adapter sent with one request. */
interface Sent {
	token: Token
	request: TokenRequest
	retried: boolean
}

/** The `tokenwarden` option of the one retry after a 401: it carries the first attempt's token request and is never retried again. */
class Retry implements RequestTokenOptions {
	readonly scope: TokenRequest['scope']
	readonly subject: TokenRequest['subject']
	constructor(readonly request: TokenRequest) {
		this.scope = request.scope
		this.subject = request.subject
	}
}

/** Installed clients: installing again replaces the settings instead of adding interceptors. */
const installations = new WeakMap<AxiosInstance, { settings: AdapterSettings }>()

/**
 * Sends `Authorization: <type> <token>` from the manager with every request to an allowed origin
 * ([RFC 6750 §2.1](https://www.rfc-editor.org/rfc/rfc6750#section-2.1)), and after a 401 from one
 * ([RFC 6750 §3.1](https://www.rfc-editor.org/rfc/rfc6750#section-3.1) `invalid_token`) drops that token and retries once.
 * Returns the same instance.
 *
 * @throws TypeError when the options are wrong or the client has no `baseURL` and no `origins` are given.
 */
export function withTokens<Client extends AxiosInstance>(client: Client, manager: TokenSource, options?: WithTokensOptions): Client {
	if (typeof client?.interceptors?.request?.use !== 'function' || typeof client.getUri !== 'function') {
		throw new TypeError('tokenwarden: withTokens needs an axios instance (axios or axios.create())')
	}
	const settings = resolveAdapterSettings(manager, options, originOf(client.defaults.baseURL), 'withTokens')
	const installed = installations.get(client)
	if (installed !== undefined) {
		installed.settings = settings
		return client
	}
	const state = { settings }
	installations.set(client, state)
	const sent = new WeakMap<InternalAxiosRequestConfig, Sent>()

	async function attach(config: InternalAxiosRequestConfig): Promise<InternalAxiosRequestConfig> {
		const { settings } = state
		const option = config.tokenwarden
		const retry = option instanceof Retry
		const request = retry ? option.request : requestTokenOf(option, settings.defaults, 'request option tokenwarden')
		if (request === false || !settings.origins.has(originOf(fullPath(config)) ?? '')) return config
		// The caller's abort stops its wait for a token too.
		const signal = config.signal instanceof AbortSignal ? config.signal : undefined
		const token = await settings.manager.getToken(signal === undefined ? request : { ...request, signal })
		config.headers.set('Authorization', `${token.tokenType} ${token.accessToken}`)
		config.beforeRedirect = guardRedirects(config.beforeRedirect, settings.origins)
		sent.set(config, { token, request, retried: retry })
		return config
	}

	/** After a 401: one retry with a fresh token when the request may be replayed, else the 401 as it came. */
	async function unauthorized<T>(config: InternalAxiosRequestConfig, response: AxiosResponse, outcome: () => T): Promise<T | AxiosResponse> {
		const { settings } = state
		const attempt = sent.get(config)
		if (attempt !== undefined && !attempt.retried && settings.retryUnauthorized && replayable(config.data) && fromAllowedOrigin(response, settings)) {
			// Compare-and-delete: many requests failing with the same stale token cause one token request.
			await settings.manager.invalidate(attempt.token)
			return client.request({ ...config, tokenwarden: new Retry(attempt.request) })
		}
		return outcome()
	}

	client.interceptors.request.use(attach)
	client.interceptors.response.use(
		(response) => {
			const { config } = response
			if (!sent.has(config)) return response
			const done = () => {
				concealHeader(config.headers)
				return response
			}
			return response.status === 401 ? unauthorized(config, response, done) : done()
		},
		(error: unknown) => {
			// Errors from the manager (OAuthError, ConsentRequiredError, ...) and anything that is not
			// an axios error about a request that carried a token pass through untouched.
			const config = (error as { isAxiosError?: boolean; config?: InternalAxiosRequestConfig }).config
			if ((error as { isAxiosError?: boolean })?.isAxiosError !== true || config === undefined || !sent.has(config)) throw error
			const fail = () => {
				concealError(error as object, config.headers)
				throw error
			}
			const response = (error as { response?: AxiosResponse }).response
			return response?.status === 401 ? unauthorized(config, response, fail) : fail()
		},
	)
	return client
}

/**
 * The URL axios will request, by axios' own rule (`buildFullPath`): `url` when it is absolute
 * (`scheme://` or protocol-relative `//`) and `allowAbsoluteUrls` is not false, else `baseURL` and
 * `url` joined. Query parameters do not change the origin. (`client.getUri` says the same but merges
 * the whole config again, which costs more than the rest of the adapter.) A protocol-relative or
 * relative result has no origin here and gets no token; axios on Node cannot send it either.
 */
function fullPath({ baseURL, url = '', allowAbsoluteUrls }: InternalAxiosRequestConfig): string {
	if (!baseURL || (/^([a-z][a-z\d+\-.]*:)?\/\//i.test(url) && allowAbsoluteUrls !== false)) return url
	return `${baseURL.replace(/\/+$/, '')}/${url.replace(/^\/+/, '')}`
}

/** A body that can be sent again: not a stream or an async iterable, which the first attempt consumed. */
function replayable(data: unknown): boolean {
	if (typeof data !== 'object' || data === null) return true
	if (typeof (data as { pipe?: unknown }).pipe === 'function') return false
	if (data instanceof ReadableStream) return false
	return typeof (data as { [Symbol.asyncIterator]?: unknown })[Symbol.asyncIterator] !== 'function'
}

/** A 401 says something about the token only when it came from an allowed origin (after redirects, where axios tells). */
function fromAllowedOrigin(response: AxiosResponse, settings: AdapterSettings): boolean {
	const finalUrl = (response.request as { res?: { responseUrl?: unknown } } | undefined)?.res?.responseUrl
	return typeof finalUrl !== 'string' || settings.origins.has(originOf(finalUrl) ?? '')
}

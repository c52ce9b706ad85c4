import type { AxiosInstance, AxiosResponse, InternalAxiosRequestConfig } from 'axios'
import { type AdapterSettings, originOf, requestTokenOf, resolveAdapterSettings } from '@tokenwarden/core/adapter'
import { concealError, concealHeader } from './conceal.js'
import { guardRedirects } from './redirects.js'
import type { TokenSource, WithTokensOptions } from './types/options.js'
import { ownAdapter, retryingAdapter, sentWithToken, withSignal } from './unauthorized.js'

/** Installed clients: installing again replaces the settings instead of adding interceptors. */
const installations = new WeakMap<AxiosInstance, { settings: AdapterSettings }>()

/**
 * Sends `Authorization: <type> <token>` from the manager with every request to an allowed origin
 * ([RFC 6750 §2.1](https://www.rfc-editor.org/rfc/rfc6750#section-2.1)), and after a 401 from one
 * ([RFC 6750 §3.1](https://www.rfc-editor.org/rfc/rfc6750#section-3.1) `invalid_token`) drops that token and,
 * unless `retryUnauthorized` is false or the body cannot be sent again, retries once beneath the interceptors.
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

	async function attach(config: InternalAxiosRequestConfig): Promise<InternalAxiosRequestConfig> {
		const { settings } = state
		// A config sent again (a caller retrying with `error.config`) still has the wrapper of its first trip.
		const adapter = ownAdapter(config.adapter)
		if (adapter !== config.adapter) config.adapter = adapter
		const request = requestTokenOf(config.tokenwarden, settings.defaults, 'request option tokenwarden')
		if (request === false || !settings.origins.has(originOf(fullPath(config)) ?? '')) return config
		const token = await settings.manager.getToken(withSignal(request, config))
		config.headers.set('Authorization', `${token.tokenType} ${token.accessToken}`)
		config.beforeRedirect = guardRedirects(config.beforeRedirect, settings.origins)
		// The retry after a 401 happens in the adapter, beneath the interceptor chain: the interceptors
		// added after this one (which axios runs on the response after it) see one response per request.
		config.adapter = retryingAdapter(adapter ?? client.defaults.adapter, { settings, request, token })
		sentWithToken.add(config)
		return config
	}

	client.interceptors.request.use(attach)
	client.interceptors.response.use(
		(response: AxiosResponse) => {
			if (sentWithToken.has(response.config)) concealHeader(response.config.headers)
			return response
		},
		(error: unknown) => {
			// Errors from the manager (OAuthError, ConsentRequiredError, ...) and anything that is not
			// an axios error about a request that carried a token pass through untouched.
			const config = (error as { isAxiosError?: boolean; config?: InternalAxiosRequestConfig }).config
			if ((error as { isAxiosError?: boolean })?.isAxiosError === true && config !== undefined && sentWithToken.has(config)) {
				concealError(error as object, config.headers)
			}
			throw error
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

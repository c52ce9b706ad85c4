import type { AxiosAdapter, AxiosInstance, AxiosRequestConfig, InternalAxiosRequestConfig } from 'axios'
import { originOf, resolveAdapterSettings, type TokenPolicy } from '@tokenwarden/core/adapter'
import { prepareDecoration } from '@tokenwarden/core/providers'
import { guardRedirects } from './redirects.js'
import { type InstallState, installState, ownAdapter, tokenAdapter } from './token-adapter.js'
import type { AxiosInstanceLike, TokenSource, WithTokensOptions } from './types/options.js'

/** Installed clients: installing again replaces the settings instead of adding interceptors. */
const installations = new WeakMap<AxiosInstanceLike, InstallState>()

/**
 * Sends `Authorization: <type> <token>` from the manager with every request to an allowed origin
 * ([RFC 6750 §2.1](https://www.rfc-editor.org/rfc/rfc6750#section-2.1)), and after a 401 from one
 * ([RFC 6750 §3.1](https://www.rfc-editor.org/rfc/rfc6750#section-3.1) `invalid_token`) drops that token and,
 * unless `retryUnauthorized` is false or the body cannot be sent again, retries once beneath the interceptors.
 * Returns the same instance. Works with axios 1.7 and later, ES module or CommonJS.
 *
 * @throws TypeError when the options are wrong or the client has no `baseURL` and no `origins` are given.
 */
export function withTokens<Client extends AxiosInstanceLike>(client: Client, manager: TokenSource, options?: WithTokensOptions): Client {
	if (typeof client?.interceptors?.request?.use !== 'function' || typeof client.getUri !== 'function') {
		throw new TypeError('tokenwarden: withTokens needs an axios instance (axios or axios.create())')
	}
	const { decorate, ...adapterOptions } = typeof options === 'object' && options !== null ? options : { decorate: undefined }
	const decoration = prepareDecoration(decorate, 'withTokens option decorate')
	const settings = resolveAdapterSettings(manager, typeof options === 'object' && options !== null ? adapterOptions : options, originOf(client.defaults.baseURL), 'withTokens')
	const installed = installations.get(client)
	if (installed !== undefined) {
		Object.assign(installed, installState(settings, decoration))
		return client
	}
	const state = installState(settings, decoration)
	installations.set(client, state)
	const instance = client as unknown as AxiosInstance
	const adapters = adapterCache(state)

	/**
	 * Synchronous (axios skips its promise chain when every request interceptor is): it only decides.
	 * The wait for the token happens in the adapter, where the request's `timeout` and `signal` bound it.
	 */
	function attach(config: InternalAxiosRequestConfig): InternalAxiosRequestConfig {
		const { policy, settings, decoration } = state
		// A config sent again (a caller retrying with `error.config`) still has the wrapper of its first trip.
		const adapter = ownAdapter(config.adapter)
		if (adapter !== config.adapter) config.adapter = adapter
		const request = policy.tokenRequestOf(config.tokenwarden, 'request option tokenwarden')
		if (request === false || !allows(config)) return config
		config.beforeRedirect = guardRedirects(config.beforeRedirect, settings.origins, decoration?.headers)
		// The token goes on, and the retry after a 401 happens, in the adapter, beneath the interceptor chain:
		// the interceptors added after this one (which axios runs on the response after it) see one response per request.
		config.adapter = adapters(adapter ?? instance.defaults.adapter)
		return config
	}

	/** The last base URL decided for relative URLs: a client's requests share one, the decision is made once. */
	let lastBase: { policy: TokenPolicy; baseURL: string; allowed: boolean } | undefined

	/** Whether the request's URL may get a token: {@link fullPath}'s origin, remembered per base URL for relative URLs. */
	function allows(config: InternalAxiosRequestConfig): boolean {
		const { policy } = state
		const { baseURL } = config
		if (!baseURL || isAbsolute(config)) return policy.allows(fullPath(config))
		// A relative URL is joined to the base URL with a '/' between: the origin is the base URL's, whatever the path.
		if (lastBase === undefined || lastBase.policy !== policy || lastBase.baseURL !== baseURL) {
			lastBase = { policy, baseURL, allowed: policy.allows(fullPath({ ...config, url: '' })) }
		}
		return lastBase.allowed
	}

	instance.interceptors.request.use(attach, undefined, { synchronous: true })
	return client
}

/** The token adapter for each adapter setting, made once per installation (names and lists by their names). */
function adapterCache(state: InstallState): (adapter: AxiosRequestConfig['adapter']) => AxiosAdapter {
	const byName = new Map<string, AxiosAdapter>()
	const byFunction = new WeakMap<AxiosAdapter, AxiosAdapter>()
	// axios copies a list setting for every request: the last list seen is compared entry by entry.
	let lastList: readonly unknown[] = []
	let lastMade: AxiosAdapter | undefined
	return (adapter) => {
		if (typeof adapter === 'function') {
			let made = byFunction.get(adapter)
			if (made === undefined) byFunction.set(adapter, (made = tokenAdapter(adapter, state)))
			return made
		}
		if (Array.isArray(adapter) && lastMade !== undefined && sameList(adapter, lastList)) return lastMade
		const name = Array.isArray(adapter) ? adapter.map((entry) => (typeof entry === 'string' ? entry : '?')).join() : String(adapter)
		// A list with functions in it is not cached by name.
		if (name.includes('?')) return tokenAdapter(adapter, state)
		let made = byName.get(name)
		if (made === undefined) byName.set(name, (made = tokenAdapter(adapter, state)))
		if (Array.isArray(adapter)) {
			lastList = [...adapter]
			lastMade = made
		}
		return made
	}
}

function sameList(list: readonly unknown[], other: readonly unknown[]): boolean {
	if (list.length !== other.length) return false
	for (let index = 0; index < list.length; index++) if (list[index] !== other[index]) return false
	return true
}

/**
 * The URL axios will request, by axios' own rule (`buildFullPath`): `url` when it is absolute
 * (`scheme://` or protocol-relative `//`) and `allowAbsoluteUrls` is not false, else `baseURL` and
 * `url` joined. Query parameters do not change the origin. (`client.getUri` says the same but merges
 * the whole config again, which costs more than the rest of the adapter.) A protocol-relative or
 * relative result has no origin here and gets no token; axios on Node cannot send it either.
 */
function fullPath(config: InternalAxiosRequestConfig): string {
	const { baseURL, url = '' } = config
	if (!baseURL || isAbsolute(config)) return url
	return `${baseURL.replace(/\/+$/, '')}/${url.replace(/^\/+/, '')}`
}

/** Whether axios sends the request's `url` as it is: absolute (`scheme://` or `//`), and `allowAbsoluteUrls` not false. */
function isAbsolute({ url = '', allowAbsoluteUrls }: InternalAxiosRequestConfig): boolean {
	return ABSOLUTE_URL.test(url) && allowAbsoluteUrls !== false
}

const ABSOLUTE_URL = /^([a-z][a-z\d+\-.]*:)?\/\//i

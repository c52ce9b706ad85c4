import { type AdapterSettings, createTokenPolicy, type TokenPolicy } from '@tokenwarden/core/adapter'
import type { AxiosAdapter, AxiosRequestConfig, AxiosResponse, InternalAxiosRequestConfig } from 'axios'
import type { PreparedDecoration } from '@tokenwarden/core/providers'
import { decorate } from './decorate.js'
import { concealError, concealResponse } from './conceal.js'
import { type AxiosCopy, copyOf } from './copies.js'
import { discard, recordingFetch, replayable, responseOf, verdictOn } from './responses.js'
import { tokenWithin, waitOf } from './token-wait.js'

type AdapterSetting = AxiosRequestConfig['adapter']

/** Adapters made here, with the adapter setting each one wraps. */
const wrapped = new WeakMap<AxiosAdapter, AdapterSetting>()

/**
 * The request's own adapter setting, without a wrapper made here: a config that comes back (a caller
 * sending `error.config` again) gets one wrapper, not one per earlier attempt.
 */
export function ownAdapter(adapter: AdapterSetting): AdapterSetting {
	return typeof adapter === 'function' && wrapped.has(adapter) ? wrapped.get(adapter) : adapter
}

/** Installation state the adapter reads at call time (installing again replaces it). */
export interface InstallState {
	settings: AdapterSettings
	/** The 401 policy of `@tokenwarden/core/adapter` for these settings, made once per installation. */
	policy: TokenPolicy
	/** The `decorate` option, prepared; undefined for none. */
	decoration: PreparedDecoration | undefined
}

/** The state of an installation with `settings` and the prepared `decorate` option. */
export function installState(settings: AdapterSettings, decoration: PreparedDecoration | undefined): InstallState {
	return { settings, policy: createTokenPolicy(settings), decoration }
}

/** Adapters resolved for a copy and environment (the fetch adapter depends on `config.env`). */
interface Resolved {
	copy: AxiosCopy
	seeds: readonly unknown[]
	send: AxiosAdapter
	/** Not axios' http adapter: its `fetch` records final URLs (see `recordingFetch`). */
	fetchLike: boolean
}

/**
 * The adapter of requests that carry a token, one per installation and adapter setting, made once.
 * It translates between axios and the one 401 policy of `@tokenwarden/core/adapter`, which decides the
 * rest: gets the token (bounded by the request's `timeout` and `signal`), puts it on, and sends the
 * request with `adapter` (a name, a function or a list, resolved once by axios' `getAdapter` of the
 * request's copy). A response that rejects the token ([RFC 6750 §3.1](https://www.rfc-editor.org/rfc/rfc6750#section-3.1))
 * has it dropped and, when the policy says so, the same config sent once more with the new token. It
 * sits beneath the interceptor chain, so the interceptors (and `transformRequest` / `transformResponse`)
 * run once per request whatever happens here. The header and the request objects are hidden from logs
 * on the response or error before any interceptor sees them.
 */
export function tokenAdapter(adapter: AdapterSetting, state: InstallState): AxiosAdapter {
	const resolved: Resolved[] = []

	/** The adapter that sends, resolved once per copy and environment. */
	function senderOf(config: InternalAxiosRequestConfig, copy: AxiosCopy): Resolved {
		const env = config.env as Record<string, unknown> | undefined
		for (const entry of resolved) {
			if (entry.copy === copy && entry.seeds[0] === env?.fetch && entry.seeds[1] === env?.Request && entry.seeds[2] === env?.Response && entry.seeds[3] === env?.Blob) return entry
		}
		const getAdapter = copy.getAdapter as (adapters: AdapterSetting, config: unknown) => AxiosAdapter
		const send = getAdapter(adapter, config)
		const entry = { copy, seeds: [env?.fetch, env?.Request, env?.Response, env?.Blob], send, fetchLike: isFetchAdapter(send, config, getAdapter) }
		if (resolved.length > 7) resolved.shift()
		resolved.push(entry)
		return entry
	}

	/** The sending adapter; axios' fetch adapter gets a `fetch` that records where redirects ended. */
	function sendingAdapter(config: InternalAxiosRequestConfig, copy: AxiosCopy): AxiosAdapter {
		const plain = senderOf(config, copy)
		if (!plain.fetchLike) return plain.send
		const env = (config.env ?? {}) as Record<string, unknown>
		config.env = { ...env, fetch: recordingFetch(env.fetch as Parameters<typeof recordingFetch>[0]) } as typeof config.env
		return senderOf(config, copy).send
	}

	const tokenAdapter: AxiosAdapter = async (config) => {
		const { policy, decoration } = state
		const copy = copyOf(config.headers)
		// The interceptor checked the option already; it is read again from the config (which an interceptor
		// running after ours may have copied) instead of being kept per request.
		const request = policy.tokenRequestOf(config.tokenwarden, 'request option tokenwarden')
		const send = sendingAdapter(config, copy)
		if (request === false) return send(config)
		if (decoration !== undefined) decorate(config, decoration)
		const wait = waitOf(config)
		// A cached token needs no wait (and no promise turn).
		const token =
			policy.cachedToken(request) ?? (wait === undefined ? await policy.tokenFor(request) : await tokenWithin((bounds) => policy.tokenFor(request, bounds), config, wait, copy))
		config.headers.set('Authorization', policy.authorizationHeader(token))
		try {
			let first: Sent
			// The hot path (a 2xx) is inline: no further async call, no record of the send.
			try {
				const response = await send(config)
				if (verdictOn(policy, response) === 'pass') return concealResponse(response, config)
				first = { response }
			} catch (error) {
				first = { response: responseOf(error), error }
			}
			if (verdictOn(policy, first.response) === 'pass') return settled(first, config)
			const retry = replayable(config.data) ? (wait ?? {}) : false
			const fresh =
				retry === false ? await policy.afterRejection(token, request, false) : await tokenWithin((bounds) => policy.afterRejection(token, request, bounds), config, retry, copy)
			if (fresh === undefined) return settled(first, config)
			void discard(first.response.data)
			config.headers.set('Authorization', policy.authorizationHeader(fresh))
			const second = await sent(send, config)
			if (verdictOn(policy, second.response) === 'token-rejected') await policy.afterRejection(fresh, request, false)
			return settled(second, config)
		} catch (error) {
			// Errors of the manager (OAuthError, ConsentRequiredError, ...) pass untouched; axios errors of a
			// request that carried a token get it hidden.
			if ((error as { isAxiosError?: boolean } | undefined)?.isAxiosError === true) concealError(error as object, config.headers)
			throw error
		}
	}
	wrapped.set(tokenAdapter, adapter)
	return tokenAdapter
}

/** One send: the response, and the axios error it came with when `validateStatus` rejected it. */
interface Sent {
	response: AxiosResponse
	error?: unknown
}

/** Sends once; an axios error with a response (an error status) becomes that response, any other failure is thrown. */
async function sent(send: AxiosAdapter, config: InternalAxiosRequestConfig): Promise<Sent> {
	try {
		return { response: await send(config) }
	} catch (error) {
		return { response: responseOf(error), error }
	}
}

/** The outcome of a send for axios: the response, hidden from logs, or its error. */
function settled({ response, error }: Sent, config: InternalAxiosRequestConfig): AxiosResponse {
	if (error !== undefined) throw error
	return concealResponse(response, config)
}

/** Whether `send` is axios' own fetch adapter (its responses do not tell the URL that answered). */
function isFetchAdapter(send: AxiosAdapter, config: InternalAxiosRequestConfig, getAdapter: (adapters: AdapterSetting, config: unknown) => AxiosAdapter): boolean {
	try {
		return send === getAdapter('fetch', config)
	} catch {
		// No fetch in this environment or build.
		return false
	}
}

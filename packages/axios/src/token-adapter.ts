import { type AdapterSettings, createTokenPolicy, type TokenPolicy } from '@tokenwarden/core/adapter'
import type { AxiosAdapter, AxiosRequestConfig, AxiosResponse, InternalAxiosRequestConfig } from 'axios'
import { concealError, concealResponse } from './conceal.js'
import { type AxiosCopy, copyOf } from './copies.js'
import { discard, recordingFetch, replayable, responseOf, viewOf } from './responses.js'
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
}

/** The state of an installation with `settings`. */
export function installState(settings: AdapterSettings): InstallState {
	return { settings, policy: createTokenPolicy(settings) }
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
		const seeds = [env?.fetch, env?.Request, env?.Response, env?.Blob]
		for (const entry of resolved) if (entry.copy === copy && entry.seeds.every((seed, index) => seed === seeds[index])) return entry
		const getAdapter = copy.getAdapter as (adapters: AdapterSetting, config: unknown) => AxiosAdapter
		const send = getAdapter(adapter, config)
		const entry = { copy, seeds, send, fetchLike: send !== getAdapter('http', config) }
		if (resolved.length > 7) resolved.shift()
		resolved.push(entry)
		return entry
	}

	/** The sending adapter; for one that is not the http adapter, with a `fetch` that records where redirects ended. */
	function sendingAdapter(config: InternalAxiosRequestConfig, copy: AxiosCopy): AxiosAdapter {
		const plain = senderOf(config, copy)
		if (!plain.fetchLike) return plain.send
		const env = (config.env ?? {}) as Record<string, unknown>
		config.env = { ...env, fetch: recordingFetch(env.fetch as Parameters<typeof recordingFetch>[0]) } as typeof config.env
		return senderOf(config, copy).send
	}

	const tokenAdapter: AxiosAdapter = async (config) => {
		const { policy } = state
		const copy = copyOf(config.headers)
		// The interceptor checked the option already; it is read again from the config (which an interceptor
		// running after ours may have copied) instead of being kept per request.
		const request = policy.tokenRequestOf(config.tokenwarden, 'request option tokenwarden')
		const send = sendingAdapter(config, copy)
		if (request === false) return send(config)
		const wait = waitOf(config)
		const token = wait === undefined ? await policy.tokenFor(request) : await tokenWithin((bounds) => policy.tokenFor(request, bounds), config, wait, copy)
		config.headers.set('Authorization', policy.authorizationHeader(token))
		try {
			const first = send(config)
			const response = await first.catch(responseOf)
			if (policy.classify(viewOf(response)) === 'pass') return concealResponse(await first, config)
			const retry = replayable(config.data) ? (wait ?? {}) : false
			const fresh =
				retry === false ? await policy.afterRejection(token, request, false) : await tokenWithin((bounds) => policy.afterRejection(token, request, bounds), config, retry, copy)
			if (fresh === undefined) return concealResponse(await first, config)
			void discard(response.data)
			config.headers.set('Authorization', policy.authorizationHeader(fresh))
			const second = send(config)
			const again: AxiosResponse = await second.catch(responseOf)
			if (policy.classify(viewOf(again)) === 'token-rejected') await policy.afterRejection(fresh, request, false)
			return concealResponse(await second, config)
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

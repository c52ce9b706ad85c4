import { type AdapterSettings, requestTokenOf } from '@tokenwarden/core/adapter'
import type { AxiosAdapter, AxiosRequestConfig, InternalAxiosRequestConfig } from 'axios'
import { concealError, concealResponse } from './conceal.js'
import { type AxiosCopy, copyOf } from './copies.js'
import { tokenWithin } from './token-wait.js'
import { discard, isUnauthorized, replayable, unauthorizedResponse } from './unauthorized.js'

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

/** Whether a response or error belongs to a request that went out through one of these adapters (with a token). */
export function sentWithToken(config: { adapter?: unknown } | undefined): boolean {
	return typeof config?.adapter === 'function' && wrapped.has(config.adapter as AxiosAdapter)
}

/** Installation state the adapter reads at call time (installing again replaces the settings). */
export interface InstallState {
	settings: AdapterSettings
}

/**
 * The adapter of requests that carry a token, one per installation and adapter setting, made once: it
 * gets the token (bounded by the request's `timeout` and `signal`), puts it on, and sends the request
 * with `adapter` (a name, a function or a list, resolved by axios' `getAdapter` of the request's copy,
 * once). After a 401 from an allowed origin ([RFC 6750 §3.1](https://www.rfc-editor.org/rfc/rfc6750#section-3.1)
 * `invalid_token`) it drops the token sent and, when allowed, sends the same config once more with a
 * fresh token. It sits beneath the interceptor chain, so the interceptors (and `transformRequest` /
 * `transformResponse`) run once per request whatever happens here. The header and the request objects
 * are hidden from logs on the response or error before any interceptor sees them.
 */
export function tokenAdapter(adapter: AdapterSetting, state: InstallState): AxiosAdapter {
	let resolved: { copy: AxiosCopy; env: readonly unknown[]; send: AxiosAdapter } | undefined

	/** The adapter that sends: resolved once per copy and environment (the fetch adapter depends on `config.env`). */
	function senderOf(config: InternalAxiosRequestConfig, copy: AxiosCopy): AxiosAdapter {
		const env = config.env as Record<string, unknown> | undefined
		const seeds = [env?.fetch, env?.Request, env?.Response, env?.Blob]
		if (resolved !== undefined && resolved.copy === copy && resolved.env.every((seed, index) => seed === seeds[index])) return resolved.send
		const send = (copy.getAdapter as (adapters: AdapterSetting, config: unknown) => AxiosAdapter)(adapter, config)
		resolved = { copy, env: seeds, send }
		return send
	}

	const tokenAdapter: AxiosAdapter = async (config) => {
		const { settings } = state
		const copy = copyOf(config.headers)
		// The interceptor checked the option already; here it is read again from the config (which an
		// interceptor running after ours may have copied) instead of being kept per request.
		const request = requestTokenOf(config.tokenwarden, settings.defaults, 'request option tokenwarden')
		if (request === false) return senderOf(config, copy)(config)
		const token = await tokenWithin(settings, request, config, copy)
		config.headers.set('Authorization', `${token.tokenType} ${token.accessToken}`)
		const send = senderOf(config, copy)
		try {
			const first = send(config)
			const response = await first.catch(unauthorizedResponse)
			if (!isUnauthorized(response, settings)) return concealResponse(await first, config)
			// Compare-and-delete, on every 401, retried or not: many requests failing with the same stale token
			// cause one token request, and a request that is not retried does not leave the token for the next ones.
			await settings.manager.invalidate(token)
			if (!settings.retryUnauthorized || !replayable(config.data)) return concealResponse(await first, config)
			void discard(response.data)
			const fresh = await tokenWithin(settings, request, config, copy)
			config.headers.set('Authorization', `${fresh.tokenType} ${fresh.accessToken}`)
			const second = send(config)
			if (isUnauthorized(await second.catch(unauthorizedResponse), settings)) await settings.manager.invalidate(fresh)
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

import type { Token } from '@tokenwarden/core'
import { type TokenWait, TokenWaitTimeoutError } from '@tokenwarden/core/adapter'
import type { InternalAxiosRequestConfig } from 'axios'
import type { AxiosCopy } from './copies.js'

/** The request's bounds for its token wait: its `signal` and `timeout`, or undefined (no allocation) when it has neither. */
export function waitOf(config: InternalAxiosRequestConfig): TokenWait | undefined {
	const timeout = typeof config.timeout === 'number' && config.timeout > 0 ? config.timeout : undefined
	const signal = config.signal as AbortSignal | undefined
	if (timeout === undefined && signal === undefined) return undefined
	return { signal, timeout }
}

/**
 * The request's token from the policy, within the request's own bounds: its `timeout` and its `signal`
 * cover the wait for a token as they cover the request, and end it with the errors axios itself gives
 * for them (`AxiosError` `ECONNABORTED`, or `ETIMEDOUT` with `transitional.clarifyTimeoutError`;
 * `CanceledError` `ERR_CANCELED`). Only this request stops waiting: the token request goes on for the
 * others. When the wait took some of the `timeout`, the request gets what is left of it.
 */
export async function tokenWithin<T extends Token | undefined>(
	get: (wait: TokenWait) => Promise<T>,
	config: InternalAxiosRequestConfig,
	wait: TokenWait,
	copy: AxiosCopy,
): Promise<T> {
	if (wait.signal?.aborted) throw canceled(config, copy)
	const started = wait.timeout === undefined ? 0 : Date.now()
	let token: T
	try {
		token = await get(wait)
	} catch (error) {
		if (error instanceof TokenWaitTimeoutError) throw timeoutError(config, copy)
		if (wait.signal?.aborted) throw canceled(config, copy)
		throw error
	}
	if (wait.timeout !== undefined) {
		const waited = Date.now() - started
		if (waited > 0) {
			// The message names the timeout the caller set, not what was left of it.
			config.timeoutErrorMessage ??= `timeout of ${wait.timeout}ms exceeded`
			config.timeout = Math.max(1, wait.timeout - waited)
			wait.timeout = config.timeout
		}
	}
	return token
}

/** The error axios' own adapters give for a request that ran out of `timeout`. */
function timeoutError(config: InternalAxiosRequestConfig, copy: AxiosCopy): Error {
	const message = config.timeoutErrorMessage ?? `timeout of ${config.timeout}ms exceeded`
	const code = config.transitional?.clarifyTimeoutError ? copy.AxiosError.ETIMEDOUT : copy.AxiosError.ECONNABORTED
	return new copy.AxiosError(message, code, config)
}

/** The error axios gives for a request aborted through its `signal`: `CanceledError(message, config, request)` at run time. */
function canceled(config: InternalAxiosRequestConfig, copy: AxiosCopy): Error {
	return new (copy.CanceledError as unknown as new (message: undefined, config: InternalAxiosRequestConfig) => Error)(undefined, config)
}

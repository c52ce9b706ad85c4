import type { Token, TokenRequest } from '@tokenwarden/core'
import type { AdapterSettings } from '@tokenwarden/core/adapter'
import type { InternalAxiosRequestConfig } from 'axios'
import type { AxiosCopy } from './copies.js'

/**
 * The request's token, within the request's own bounds: its `timeout` and its `signal` cover the wait
 * for a token as they cover the request, and end it with the errors axios itself gives for them
 * (`AxiosError` `ECONNABORTED`, or `ETIMEDOUT` with `transitional.clarifyTimeoutError`; `CanceledError`
 * `ERR_CANCELED`). Only this request stops waiting: the token request goes on for the others.
 * When the wait took some of the `timeout`, the request gets what is left of it.
 */
export async function tokenWithin(settings: AdapterSettings, request: TokenRequest, config: InternalAxiosRequestConfig, copy: AxiosCopy): Promise<Token> {
	const timeout = config.timeout
	const signal = config.signal as AbortSignal | undefined
	const timed = typeof timeout === 'number' && timeout > 0
	if (!timed && signal === undefined) return settings.manager.getToken(request)
	if (signal?.aborted) throw canceled(config, copy)
	const started = timed ? Date.now() : 0
	const leave = new AbortController()
	let timer: ReturnType<typeof setTimeout> | undefined
	let onAbort: (() => void) | undefined
	try {
		const token = await new Promise<Token>((resolve, reject) => {
			if (timed) {
				timer = setTimeout(() => {
					reject(timeoutError(config, copy))
					leave.abort()
				}, timeout)
			}
			if (signal !== undefined) {
				onAbort = () => {
					reject(canceled(config, copy))
					leave.abort()
				}
				signal.addEventListener('abort', onAbort, { once: true })
			}
			settings.manager.getToken({ ...request, signal: leave.signal }).then(resolve, reject)
		})
		if (timed) {
			const waited = Date.now() - started
			if (waited > 0) {
				// The message names the timeout the caller set, not what was left of it.
				config.timeoutErrorMessage ??= `timeout of ${timeout}ms exceeded`
				config.timeout = Math.max(1, timeout - waited)
			}
		}
		return token
	} finally {
		if (timer !== undefined) clearTimeout(timer)
		if (onAbort !== undefined) signal?.removeEventListener('abort', onAbort)
	}
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

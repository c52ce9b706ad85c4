import type { AxiosResponse, InternalAxiosRequestConfig } from 'axios'

/**
 * Keeps the bearer token out of logs. axios keeps the request config (with its headers) and the
 * Node request (whose raw header block holds the token) or the fetch `Request` on every response and
 * error, and loggers print or JSON-serialise them. After the request went out, the adapter makes the
 * Authorization header and the request objects non-enumerable: still readable by code that asks for
 * them, skipped by `JSON.stringify`, `AxiosError#toJSON`, `console.log` and `util.inspect`.
 */

/** Hides the Authorization header of a sent request. */
export function concealHeader(headers: unknown): void {
	if (typeof headers !== 'object' || headers === null) return
	// The adapter sets it with this spelling unless the request had one of its own.
	if (Object.hasOwn(headers, 'Authorization')) {
		Object.defineProperty(headers, 'Authorization', { enumerable: false })
		return
	}
	for (const key of Object.keys(headers)) {
		if (key.toLowerCase() === 'authorization') Object.defineProperty(headers, key, { enumerable: false })
	}
}

/** Hides the header and the request object of a successful response; returns it. */
export function concealResponse(response: AxiosResponse, config: InternalAxiosRequestConfig): AxiosResponse {
	concealHeader(config.headers)
	if (response.config !== config) concealHeader(response.config?.headers)
	hide(response, 'request')
	return response
}

/** Hides the header and the request objects (raw header block included) of an axios error. */
export function concealError(error: object, headers: unknown): void {
	concealHeader(headers)
	hide(error, 'request')
	const response = (error as { response?: unknown }).response
	if (typeof response === 'object' && response !== null) hide(response, 'request')
}

function hide(target: object, key: string): void {
	if (Object.hasOwn(target, key)) Object.defineProperty(target, key, { enumerable: false })
}

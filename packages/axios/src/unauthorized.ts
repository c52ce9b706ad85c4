import type { AdapterSettings } from '@tokenwarden/core/adapter'
import { originOf } from '@tokenwarden/core/adapter'
import type { AxiosResponse } from 'axios'

/** The response of an axios error for a 401 (the default `validateStatus` rejects it); any other failure is thrown again. */
export function unauthorizedResponse(error: unknown): AxiosResponse {
	const response = (error as { isAxiosError?: boolean; response?: AxiosResponse } | undefined)?.response
	if ((error as { isAxiosError?: boolean } | undefined)?.isAxiosError === true && response?.status === 401) return response
	throw error
}

/** A 401 says something about the token only when it came from an allowed origin (after redirects, where axios tells). */
export function isUnauthorized(response: AxiosResponse, settings: AdapterSettings): boolean {
	if (response.status !== 401) return false
	const finalUrl = (response.request as { res?: { responseUrl?: unknown } } | undefined)?.res?.responseUrl
	return typeof finalUrl !== 'string' || settings.origins.has(originOf(finalUrl) ?? '')
}

/** A body that can be sent again: not a stream or an async iterable, which the first attempt consumed. */
export function replayable(data: unknown): boolean {
	if (typeof data !== 'object' || data === null) return true
	if (typeof (data as { pipe?: unknown }).pipe === 'function') return false
	if (data instanceof ReadableStream) return false
	return typeof (data as { [Symbol.asyncIterator]?: unknown })[Symbol.asyncIterator] !== 'function'
}

/** Releases the connection of a 401 that is not passed on, when its body is a stream (`responseType: 'stream'`). */
export async function discard(data: unknown): Promise<void> {
	try {
		if (data instanceof ReadableStream) await data.cancel()
		else if (typeof (data as { destroy?: unknown } | null)?.destroy === 'function') (data as { destroy(): void }).destroy()
	} catch {
		// The connection goes away either way.
	}
}

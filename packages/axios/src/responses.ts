import type { ResponseVerdict, ResponseView, TokenPolicy } from '@tokenwarden/core/adapter'
import type { AxiosResponse } from 'axios'

/** The response of an axios error (the default `validateStatus` rejects 4xx/5xx); a failure without one is thrown again. */
export function responseOf(error: unknown): AxiosResponse {
	const response = (error as { isAxiosError?: boolean; response?: AxiosResponse } | undefined)?.response
	if ((error as { isAxiosError?: boolean } | undefined)?.isAxiosError === true && response !== undefined) return response
	throw error
}

/** Final URLs of the fetch adapter's requests (its response does not say where it came from after redirects). */
export const fetchedFrom = new WeakMap<object, string>()

/**
 * What the 401 policy reads of an axios response: status, headers (`AxiosHeaders#get`) and, where the
 * adapter tells, the URL that answered after redirects: follow-redirects' `responseUrl` (http adapter),
 * or the URL the fetch adapter's `fetch` reached (recorded by {@link recordingFetch}).
 */
export function viewOf(response: AxiosResponse): ResponseView {
	const request = response.request as { res?: { responseUrl?: unknown } } | undefined
	const finalUrl = request?.res?.responseUrl ?? (typeof request === 'object' && request !== null ? fetchedFrom.get(request) : undefined)
	return { status: response.status, url: typeof finalUrl === 'string' ? finalUrl : undefined, headers: headersOf(response.headers) }
}

/**
 * The 401 policy's verdict on an axios response. A status the policy passes without looking further
 * (anything but a 401, unless the user's `isTokenRejected` decides) costs one comparison: the view, with
 * its lookup of the final URL, is made only for the responses the policy reads.
 */
export function verdictOn(policy: TokenPolicy, response: AxiosResponse): ResponseVerdict {
	if (response.status !== 401 && policy.settings.isTokenRejected === undefined) return 'pass'
	return policy.classify(viewOf(response))
}

/** `AxiosHeaders` as they are; the plain object a custom adapter may return, with a case-insensitive `get`. */
function headersOf(headers: unknown): ResponseView['headers'] {
	if (typeof (headers as { get?: unknown } | null)?.get === 'function') return headers as ResponseView['headers']
	const entries = Object.entries((headers ?? {}) as Record<string, unknown>)
	return { get: (name) => entries.find(([key]) => key.toLowerCase() === name.toLowerCase())?.[1] }
}

type Fetch = (input: RequestInfo | URL, init?: RequestInit) => Promise<Response>
const recorders = new WeakMap<Fetch, Fetch>()
const globalFetch: Fetch = (input, init) => globalThis.fetch(input, init)

/**
 * A `fetch` for axios' fetch adapter (`config.env.fetch`, axios ≥ 1.12) that records where each request
 * ended up after redirects, so that a 401 from another origin is not taken for a rejected token. One per
 * underlying fetch, so axios' own cache of fetch adapters keeps working.
 */
export function recordingFetch(fetch: Fetch | undefined): Fetch {
	const base = fetch ?? globalFetch
	let recorder = recorders.get(base)
	if (recorder === undefined) {
		recorder = async (input, init) => {
			const response = await base(input, init)
			if (typeof input === 'object' && input !== null) fetchedFrom.set(input, response.url)
			return response
		}
		recorders.set(base, recorder)
	}
	return recorder
}

/** A body that can be sent again: not a stream or an async iterable, which the first attempt consumed. */
export function replayable(data: unknown): boolean {
	if (typeof data !== 'object' || data === null) return true
	if (typeof (data as { pipe?: unknown }).pipe === 'function') return false
	if (data instanceof ReadableStream) return false
	return typeof (data as { [Symbol.asyncIterator]?: unknown })[Symbol.asyncIterator] !== 'function'
}

/** Releases the connection of a response that is not passed on, when its body is a stream (`responseType: 'stream'`). */
export async function discard(data: unknown): Promise<void> {
	try {
		if (data instanceof ReadableStream) await data.cancel()
		else if (typeof (data as { destroy?: unknown } | null)?.destroy === 'function') (data as { destroy(): void }).destroy()
	} catch {
		// The connection goes away either way.
	}
}

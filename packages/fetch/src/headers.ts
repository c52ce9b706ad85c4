/**
 * Request headers with the `Authorization` field set to `authorization`, whatever shape the caller gave
 * them in (`HeadersInit`: a record, a list of pairs, a `Headers`), and whatever casing their own
 * Authorization had (it is replaced, never combined with ours). The common cases (no headers, a plain
 * record) build a plain record without a `Headers` object.
 */
export function withAuthorization(given: HeadersInit | undefined, authorization: string): HeadersInit {
	if (given === undefined || given === null) return { authorization }
	if (!Array.isArray(given) && !(given instanceof Headers) && typeof given === 'object' && typeof (given as unknown as Iterable<unknown>)[Symbol.iterator] !== 'function') {
		const headers: Record<string, string> = {}
		for (const key in given) {
			if (Object.hasOwn(given, key) && key.toLowerCase() !== 'authorization') headers[key] = (given as Record<string, string>)[key] as string
		}
		headers.authorization = authorization
		return headers
	}
	const headers = new Headers(given)
	headers.set('authorization', authorization)
	return headers
}

/** Request header names the Fetch standard drops on a redirect to another origin (Fetch §4.4 HTTP-redirect fetch, step 14). */
const CROSS_ORIGIN_DROPPED = ['authorization', 'proxy-authorization', 'cookie', 'host']
/** Request-body header names, dropped when a redirect turns the request into a GET without body (Fetch §4.4, step 12). */
const BODY_HEADERS = ['content-encoding', 'content-language', 'content-location', 'content-type', 'content-length']

/** The headers for the next hop of a redirect. */
export function redirectHeaders(current: HeadersInit, crossOrigin: boolean, dropBody: boolean): Headers {
	const headers = new Headers(current)
	if (crossOrigin) for (const name of CROSS_ORIGIN_DROPPED) headers.delete(name)
	if (dropBody) for (const name of BODY_HEADERS) headers.delete(name)
	return headers
}

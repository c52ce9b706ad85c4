/** Header `[name, value]` pairs with lower-case names (a prepared decoration's). */
type HeaderPairs = readonly (readonly [string, string])[]

/**
 * Request headers with the `Authorization` field set to `authorization`, whatever shape the caller gave
 * them in (`HeadersInit`: a record, a list of pairs, a `Headers`), and whatever casing their own
 * Authorization had (it is replaced, never combined with ours). `extra` headers (the `decorate` option's)
 * are added where the caller has none of that name. The common cases (no headers, a plain record) build
 * a plain record without a `Headers` object.
 */
export function withAuthorization(given: HeadersInit | undefined, authorization: string, extra?: HeaderPairs): HeadersInit {
	if (given === undefined || given === null) {
		if (extra === undefined) return { authorization }
		const headers: Record<string, string> = Object.fromEntries(extra)
		headers.authorization = authorization
		return headers
	}
	if (!Array.isArray(given) && !(given instanceof Headers) && typeof given === 'object' && typeof (given as unknown as Iterable<unknown>)[Symbol.iterator] !== 'function') {
		const headers: Record<string, string> = {}
		const names = extra === undefined ? undefined : new Set<string>()
		for (const key in given) {
			if (!Object.hasOwn(given, key)) continue
			const lower = key.toLowerCase()
			names?.add(lower)
			if (lower !== 'authorization') headers[key] = (given as Record<string, string>)[key] as string
		}
		if (extra !== undefined) for (const [name, value] of extra) if (!names?.has(name)) headers[name] = value
		headers.authorization = authorization
		return headers
	}
	const headers = new Headers(given)
	headers.set('authorization', authorization)
	if (extra !== undefined) for (const [name, value] of extra) if (!headers.has(name)) headers.set(name, value)
	return headers
}

/** Takes `extra` (the `decorate` option's headers) off `headers`: for a redirect hop to an origin that may not receive them. */
export function withoutHeaders(headers: Headers, extra: HeaderPairs): void {
	for (const [name] of extra) headers.delete(name)
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

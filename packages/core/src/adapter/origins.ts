/**
 * Origin matching ([RFC 6454 §4](https://www.rfc-editor.org/rfc/rfc6454#section-4)): a bearer token
 * goes only to the origins a client was set up for ([RFC 6750 §5.3](https://www.rfc-editor.org/rfc/rfc6750#section-5.3):
 * never pass bearer tokens to other parties). Shared by @tokenwarden/axios and @tokenwarden/ky.
 */

/** `scheme://host[:port]` of an absolute http(s) URL; undefined for anything else (relative, malformed, other schemes). */
export function originOf(url: string | URL | undefined): string | undefined {
	if (url === undefined || url === '') return undefined
	try {
		const parsed = typeof url === 'string' ? new URL(url) : url
		return parsed.protocol === 'https:' || parsed.protocol === 'http:' ? parsed.origin : undefined
	} catch {
		return undefined
	}
}

/**
 * Whether `url`'s origin is one of `origins` (as `URL.origin` spells them). An absolute URL string that
 * starts with an allowed origin followed by `/`, `?`, `#` or its end has that origin (the WHATWG URL
 * parser ends the authority there), so the common case is decided without parsing; anything else
 * (another spelling, a port written out, credentials) is parsed.
 */
export function isAllowed(url: string | URL | undefined, origins: ReadonlySet<string>): boolean {
	if (typeof url === 'string') {
		for (const origin of origins) {
			if (url.startsWith(origin)) {
				const next = url.charCodeAt(origin.length)
				// NaN (end), '/', '?', '#'
				if (Number.isNaN(next) || next === 47 || next === 63 || next === 35) return true
			}
		}
	} else if (url instanceof URL) {
		return (url.protocol === 'https:' || url.protocol === 'http:') && origins.has(url.origin)
	}
	const origin = originOf(url)
	return origin !== undefined && origins.has(origin)
}

/**
 * The allowed origins: the client's base origin plus `origins`. An entry must be an origin (a path
 * would suggest a restriction that is not applied). No origin at all is a configuration error:
 * a client that cannot say where its tokens may go gets none, loudly.
 */
export function allowedOrigins(origins: unknown, baseOrigin: string | undefined, caller: string): ReadonlySet<string> {
	const allowed = new Set<string>()
	if (baseOrigin !== undefined) allowed.add(baseOrigin)
	if (origins !== undefined) {
		if (!Array.isArray(origins)) throw new TypeError(`tokenwarden: ${caller} origins must be an array of origin strings`)
		for (const entry of origins) allowed.add(parseOrigin(entry, caller))
	}
	if (allowed.size === 0) {
		throw new TypeError(`tokenwarden: ${caller} cannot tell where tokens may go: give the client a base URL or pass origins`)
	}
	return allowed
}

function parseOrigin(entry: unknown, caller: string): string {
	const origin = typeof entry === 'string' ? originOf(entry) : undefined
	if (origin === undefined) throw new TypeError(`tokenwarden: ${caller} origins entries must be absolute http(s) URLs, got ${describe(entry)}`)
	const { pathname, search, hash, username, password } = new URL(entry as string)
	if (pathname !== '/' || search !== '' || hash !== '' || username !== '' || password !== '') {
		throw new TypeError(`tokenwarden: ${caller} origins entries are scheme://host[:port] only (no path, query or credentials), got ${origin}/...`)
	}
	return origin
}

/** The bad value for the message, unless it may carry credentials (`user:pass@`). */
function describe(value: unknown): string {
	if (typeof value !== 'string') return typeof value
	return value.includes('@') ? 'a string with credentials' : JSON.stringify(value)
}

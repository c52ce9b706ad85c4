import { invalid, knownKeys, stringRecord } from '../validators.js'

/**
 * What a provider's API needs on every request besides the bearer token: query parameters and
 * headers with the provider's own names. Pass it as the `decorate` option of `withTokens` /
 * `tokenHooks` in `@tokenwarden/axios`, `@tokenwarden/ky` or `@tokenwarden/fetch`, which add it to the
 * requests that carry a token (and to no others); or apply it by hand: axios
 * `axios.create({ params: d.searchParams, headers: d.headers })`, ky
 * `ky.create({ searchParams: d.searchParams, headers: d.headers })`, fetch
 * `fetch(decorateUrl(url, d), { headers: d.headers })`.
 */
export interface ApiRequestDecoration {
	/** Query parameters to add to every API request. */
	readonly searchParams: Readonly<Record<string, string>>
	/** Headers to add to every API request. */
	readonly headers: Readonly<Record<string, string>>
}

/** `url` with the decoration's query parameters set (existing ones of the same name are replaced). */
export function decorateUrl(url: string | URL, decoration: ApiRequestDecoration): URL {
	const decorated = new URL(url)
	for (const [name, value] of Object.entries(decoration.searchParams)) decorated.searchParams.set(name, value)
	return decorated
}

/** A frozen decoration, as the provider helpers return it. */
export function decoration(searchParams: Record<string, string>, headers: Record<string, string>): ApiRequestDecoration {
	return Object.freeze({ searchParams: Object.freeze(searchParams), headers: Object.freeze(headers) })
}

/**
 * An {@link ApiRequestDecoration} checked and taken apart once, when an adapter is installed, so that
 * each request only looks up names: what the adapters' `decorate` option becomes.
 */
export interface PreparedDecoration {
	/** Query parameters as `[name, value]` pairs, in the order given. */
	readonly searchParams: readonly (readonly [string, string])[]
	/** Each parameter form-urlencoded as the URL standard writes it (`name=value`), in the same order. */
	readonly encoded: readonly string[]
	/** All of them joined with `&`, for a URL without a query. */
	readonly query: string
	/** Headers as `[name, value]` pairs, names lower-cased. */
	readonly headers: readonly (readonly [string, string])[]
}

/** An HTTP field name ([RFC 9110 §5.1](https://www.rfc-editor.org/rfc/rfc9110#section-5.1): a token). */
const FIELD_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/
/** A field value without CR, LF or NUL ([RFC 9110 §5.5](https://www.rfc-editor.org/rfc/rfc9110#section-5.5)). */
const FIELD_VALUE = /^[^\r\n\0]*$/
/** Headers the adapters own or the transport sets: a decoration never carries them. */
const RESERVED_HEADERS = new Set(['authorization', 'proxy-authorization', 'host', 'cookie', 'content-length', 'transfer-encoding'])

/**
 * Checks an adapter's `decorate` option (`option` names it in errors) and prepares it for the hot path.
 * `undefined`, or a decoration with nothing in it, is `undefined`: nothing to add.
 *
 * @throws TypeError in the `tokenwarden: expected <option> to be …, got …` style for anything but a
 * plain `{ searchParams?, headers? }` of strings, a header name that is not an HTTP token, a value with
 * CR/LF/NUL, or a header the adapter sets itself (Authorization, Host, Cookie, framing headers).
 */
export function prepareDecoration(value: unknown, option: string): PreparedDecoration | undefined {
	if (value === undefined) return undefined
	if (typeof value !== 'object' || value === null || Array.isArray(value)) {
		invalid(option, 'an object { searchParams?, headers? } (bancoDoBrasilApi(), sicoobApi() or interApi() from @tokenwarden/core/providers make one)', value)
	}
	knownKeys(value, ['searchParams', 'headers'], option)
	const given = value as { searchParams?: unknown; headers?: unknown }
	const searchParams = Object.entries(given.searchParams === undefined ? {} : stringRecord(given.searchParams, `${option}.searchParams`))
	const headers: [string, string][] = []
	const seen = new Set<string>()
	for (const [name, headerValue] of Object.entries(given.headers === undefined ? {} : stringRecord(given.headers, `${option}.headers`))) {
		const where = `${option}.headers`
		if (!FIELD_NAME.test(name)) invalid(`${where} names`, 'HTTP field names (RFC 9110 tokens)', name)
		const lower = name.toLowerCase()
		if (RESERVED_HEADERS.has(lower)) invalid(`${where}`, `headers other than ${[...RESERVED_HEADERS].join(', ')} (the adapter or the transport sets those)`, name)
		if (seen.has(lower)) invalid(`${where}`, 'each header once, whatever its casing', name)
		// The value is a credential (an application key): never quoted.
		if (!FIELD_VALUE.test(headerValue)) invalid(`${where}.${name}`, 'a value without CR, LF or NUL', headerValue, { secret: true })
		seen.add(lower)
		headers.push([lower, headerValue])
	}
	for (const [name] of searchParams) if (name === '') invalid(`${option}.searchParams names`, 'non-empty strings', name)
	if (searchParams.length === 0 && headers.length === 0) return undefined
	const encoded = searchParams.map((pair) => new URLSearchParams([pair]).toString())
	return Object.freeze({ searchParams: Object.freeze(searchParams), encoded: Object.freeze(encoded), query: encoded.join('&'), headers: Object.freeze(headers) })
}

/**
 * `url` with the decoration's query parameters the URL does not have yet: a parameter already in its
 * query (the caller's own value) is left alone. The common cases (no query, or all parameters present)
 * do not parse the URL. The fragment stays last.
 */
export function decorateQuery(url: string, prepared: PreparedDecoration): string {
	if (prepared.searchParams.length === 0) return url
	const hash = url.indexOf('#')
	const beforeHash = hash === -1 ? url : url.slice(0, hash)
	const fragment = hash === -1 ? '' : url.slice(hash)
	const mark = beforeHash.indexOf('?')
	if (mark === -1) return `${beforeHash}?${prepared.query}${fragment}`
	const present = new URLSearchParams(beforeHash.slice(mark + 1))
	let added = ''
	prepared.searchParams.forEach(([name], index) => {
		if (!present.has(name)) added += `${added === '' ? '' : '&'}${prepared.encoded[index]}`
	})
	if (added === '') return url
	const separator = mark === beforeHash.length - 1 || beforeHash.endsWith('&') ? '' : '&'
	return `${beforeHash}${separator}${added}${fragment}`
}

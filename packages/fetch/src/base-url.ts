import { originOf } from '@tokenwarden/core/adapter'

/** Relative inputs resolved against the base URL, remembered (most clients use a handful of paths). */
const MAX_REMEMBERED = 256

/** Checks `baseUrl` at creation: an absolute http(s) URL, or none. */
export function parseBaseUrl(baseUrl: unknown): string | undefined {
	if (baseUrl === undefined) return undefined
	const href = typeof baseUrl === 'string' ? baseUrl : baseUrl instanceof URL ? baseUrl.href : undefined
	if (href === undefined || originOf(href) === undefined) {
		const shown = typeof baseUrl === 'string' ? (baseUrl.includes('@') ? 'a string with credentials' : JSON.stringify(baseUrl)) : typeof baseUrl
		throw new TypeError(`tokenwarden: expected withTokens option baseUrl to be an absolute http(s) URL, got ${shown}`)
	}
	return new URL(href).href
}

/**
 * A function that makes a fetch input absolute: an absolute URL stays as it is, a relative one is
 * resolved against `base` by standard URL resolution (`new URL(input, base)`); without a base, relative
 * inputs go to fetch unchanged (which rejects them on Node).
 */
export function resolverFor(base: string | undefined): (input: string) => string {
	if (base === undefined) return (input) => input
	const resolved = new Map<string, string>()
	return (input) => {
		if (input.startsWith('https://') || input.startsWith('http://')) return input
		let url = resolved.get(input)
		if (url === undefined) {
			url = new URL(input, base).href
			if (resolved.size >= MAX_REMEMBERED) resolved.clear()
			resolved.set(input, url)
		}
		return url
	}
}

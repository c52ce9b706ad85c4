/**
 * What a provider's API needs on every request besides the bearer token: query parameters and
 * headers with the provider's own names. Plain data, so any client can apply it:
 * axios `axios.create({ params: d.searchParams, headers: d.headers })`,
 * ky `ky.create({ searchParams: d.searchParams, headers: d.headers })`,
 * fetch `fetch(decorateUrl(url, d), { headers: d.headers })`.
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

export function decoration(searchParams: Record<string, string>, headers: Record<string, string>): ApiRequestDecoration {
	return Object.freeze({ searchParams: Object.freeze(searchParams), headers: Object.freeze(headers) })
}

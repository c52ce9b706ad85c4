/**
 * Reading `WWW-Authenticate` challenges ([RFC 9110 §11.6.1](https://www.rfc-editor.org/rfc/rfc9110#section-11.6.1))
 * for the one Bearer error that says nothing about the token itself:
 * `insufficient_scope` ([RFC 6750 §3.1](https://www.rfc-editor.org/rfc/rfc6750#section-3.1)): the token is
 * valid but lacks a privilege, and no new token with the same scope can fix that.
 */

/** `scheme`, then `name=value` pairs (value a token or a quoted string), challenges separated by commas. */
const PART = /\s*(?:([!#$%&'*+.^_`|~0-9A-Za-z-]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^\s,]*)|([!#$%&'*+.^_`|~0-9A-Za-z-]+={0,2})(?=\s|,|$))\s*,?/y

/** The `error` parameter of the Bearer challenge in a `WWW-Authenticate` header value, if any. */
export function bearerError(header: string): string | undefined {
	PART.lastIndex = 0
	let inBearer = false
	while (PART.lastIndex < header.length) {
		const start = PART.lastIndex
		const match = PART.exec(header)
		if (match === null || PART.lastIndex === start) return undefined
		const [, name, value, bare] = match
		if (bare !== undefined) {
			// A bare token after a scheme (token68) or a new challenge's scheme: only a scheme matters here.
			if (!bare.endsWith('=')) inBearer = bare.toLowerCase() === 'bearer'
		} else if (inBearer && name?.toLowerCase() === 'error' && value !== undefined) {
			return value.startsWith('"') ? value.slice(1, -1).replace(/\\(.)/g, '$1') : value
		}
	}
	return undefined
}

/** Whether the header carries a Bearer challenge with `error="insufficient_scope"`. */
export function isInsufficientScope(header: string | undefined): boolean {
	// Cheap test first: nearly every 401 says no such thing.
	return header?.includes('insufficient_scope') === true && bearerError(header) === 'insufficient_scope'
}

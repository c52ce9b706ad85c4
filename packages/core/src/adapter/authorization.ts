import type { Token } from '../types/token.js'

/**
 * The `Authorization` request header value for a token: `<token_type> <access_token>`
 * ([RFC 6750 §2.1](https://www.rfc-editor.org/rfc/rfc6750#section-2.1); the manager normalises any
 * casing of `bearer` to `Bearer`, [RFC 6750 §4](https://www.rfc-editor.org/rfc/rfc6750#section-4)).
 * The one place the header is formatted: every adapter sends what this returns.
 */
export function authorizationHeader(token: Token): string {
	return `${token.tokenType} ${token.accessToken}`
}

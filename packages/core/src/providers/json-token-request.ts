import type { FetchLike } from '../types/options.js'

/**
 * A fetch for token endpoints that read a JSON body instead of the form body of
 * [RFC 6749 §4.4.2](https://www.rfc-editor.org/rfc/rfc6749#section-4.4.2) (Efí documents
 * `{"grant_type": "client_credentials"}` with `Content-Type: application/json`). The same parameters,
 * as JSON strings; headers, Basic credentials and everything else pass through untouched.
 */
export function jsonTokenRequest(fetch: FetchLike): FetchLike {
	return (input, init) => {
		if (!(init.body instanceof URLSearchParams)) return fetch(input, init)
		const headers = new Headers(init.headers)
		headers.set('content-type', 'application/json')
		return fetch(input, { ...init, headers, body: JSON.stringify(Object.fromEntries(init.body)) })
	}
}

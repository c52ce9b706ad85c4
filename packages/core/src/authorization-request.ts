import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import { StateMismatchError } from './errors.js'
import { formatScope, normaliseScope } from './scope.js'

/** Arguments of `authorizationUrl`. */
export interface AuthorizationUrlOptions {
	/** Where the provider sends the holder back; defaults to the manager's `redirectUri`. */
	redirectUri?: string | undefined
	/** Scope to ask consent for; defaults to the manager's `scope`. */
	scope?: string | readonly string[] | undefined
	/** Opaque value bound to this request; 128 random bits when absent ([RFC 6749 §10.12](https://www.rfc-editor.org/rfc/rfc6749#section-10.12)). */
	state?: string | undefined
	/** Add a PKCE S256 challenge ([RFC 7636](https://www.rfc-editor.org/rfc/rfc7636)). */
	pkce?: boolean | undefined
	/** Extra query parameters (for example `prompt`, `login_hint`). */
	params?: Readonly<Record<string, string>> | undefined
}

/** What to send the holder to, and what to keep (in the session) for the callback. */
export interface AuthorizationRequest {
	/** The authorization URL to send the account holder to ([RFC 6749 §4.1.1](https://www.rfc-editor.org/rfc/rfc6749#section-4.1.1)). */
	url: string
	/** The `state` in the URL (128 random bits): keep it and pass it to `exchangeCode` as `expectedState`. */
	state: string
	/** PKCE verifier to pass to `exchangeCode`; absent without `pkce`. */
	codeVerifier?: string | undefined
}

const RESERVED = new Set(['response_type', 'client_id', 'redirect_uri', 'scope', 'state', 'code_challenge', 'code_challenge_method'])

/** The authorization request URL ([RFC 6749 §4.1.1](https://www.rfc-editor.org/rfc/rfc6749#section-4.1.1)). */
export function buildAuthorizationRequest(
	authorizeUrl: string,
	clientId: string,
	redirectUri: string,
	options: AuthorizationUrlOptions,
	defaultScope: readonly string[],
): AuthorizationRequest {
	const state = options.state ?? randomBytes(16).toString('base64url')
	const url = new URL(authorizeUrl)
	url.searchParams.set('response_type', 'code')
	url.searchParams.set('client_id', clientId)
	url.searchParams.set('redirect_uri', redirectUri)
	const scope = options.scope === undefined ? defaultScope : normaliseScope(options.scope)
	if (scope.length > 0) url.searchParams.set('scope', formatScope(scope))
	url.searchParams.set('state', state)
	let codeVerifier: string | undefined
	if (options.pkce) {
		// RFC 7636 §4.1: 32 random octets, base64url: 43 characters of the unreserved set.
		codeVerifier = randomBytes(32).toString('base64url')
		url.searchParams.set('code_challenge', createHash('sha256').update(codeVerifier).digest('base64url'))
		url.searchParams.set('code_challenge_method', 'S256')
	}
	for (const [name, value] of Object.entries(options.params ?? {})) {
		if (RESERVED.has(name)) throw new TypeError(`tokenwarden: authorizationUrl params must not set ${name}; use the option of that name`)
		url.searchParams.set(name, value)
	}
	return codeVerifier === undefined ? { url: url.toString(), state } : { url: url.toString(), state, codeVerifier }
}

/** Compares the returned state with the expected one in constant time; throws before any request is made. */
export function checkState(state: unknown, expectedState: unknown): void {
	if (typeof expectedState !== 'string' || expectedState === '') {
		throw new TypeError('tokenwarden: exchangeCode needs expectedState (the state kept from authorizationUrl)')
	}
	if (typeof state !== 'string') throw new StateMismatchError()
	const a = Buffer.from(state)
	const b = Buffer.from(expectedState)
	if (a.length !== b.length || !timingSafeEqual(a, b)) throw new StateMismatchError()
}

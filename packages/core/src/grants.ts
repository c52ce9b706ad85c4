import { formatScope } from './scope.js'

/** The grants the manager requests tokens with. */
export type GrantType = 'client_credentials' | 'refresh_token' | 'authorization_code'

/**
 * One token request, as a grant describes it: what it sends, which of those values are secrets (to
 * mask wherever the server quotes them back), and whether it may be sent again after the server may
 * have acted on it. The token endpoint derives its retry rule from `repeatable`.
 *
 * In the style of oauth4webapi's `*GrantRequest` functions: each grant builds its own request.
 */
export interface GrantRequest {
	readonly grantType: GrantType
	/** Form parameters, client authentication aside. */
	readonly params: Readonly<Record<string, string>>
	/** Values in `params` that are secret. */
	readonly secrets: readonly string[]
	/**
	 * Whether the request may be resent after a failure that leaves unknown whether the server processed
	 * it (a timeout, a connection lost after sending, a body that could not be read). A request that
	 * spends what it sends (a single-use code, a rotating refresh token) may not: the server may already
	 * have spent it, and a resend would fail or, with reuse detection, revoke the holder's consent.
	 */
	readonly repeatable: boolean
}

/** Extra parameters the manager sends with every grant (`tokenParams`); the grant's own fields win. */
export type ExtraParams = Readonly<Record<string, string>> | undefined

/** Client credentials grant ([RFC 6749 §4.4.2](https://www.rfc-editor.org/rfc/rfc6749#section-4.4.2)): nothing secret but the client authentication, safe to repeat. */
export function clientCredentialsGrant(scope: readonly string[], extra: ExtraParams): GrantRequest {
	const params: Record<string, string> = { ...extra, grant_type: 'client_credentials' }
	if (scope.length > 0) params.scope = formatScope(scope)
	return { grantType: 'client_credentials', params, secrets: [], repeatable: true }
}

/**
 * Refresh token grant ([RFC 6749 §6](https://www.rfc-editor.org/rfc/rfc6749#section-6)): the refresh token is
 * secret, and a rotating server spends it on receipt ([RFC 9700 §4.14.2](https://www.rfc-editor.org/rfc/rfc9700#section-4.14.2)),
 * so the request is not repeatable.
 */
export function refreshTokenGrant(refreshToken: string, scope: readonly string[], extra: ExtraParams): GrantRequest {
	const params: Record<string, string> = { ...extra, grant_type: 'refresh_token', refresh_token: refreshToken }
	if (scope.length > 0) params.scope = formatScope(scope)
	return { grantType: 'refresh_token', params, secrets: [refreshToken], repeatable: false }
}

/**
 * Authorization code grant ([RFC 6749 §4.1.3](https://www.rfc-editor.org/rfc/rfc6749#section-4.1.3)): the code
 * and the PKCE verifier ([RFC 7636 §4.5](https://www.rfc-editor.org/rfc/rfc7636#section-4.5)) are secret; a code
 * is single use, so the request is not repeatable.
 */
export function authorizationCodeGrant(code: string, redirectUri: string, codeVerifier: string | undefined, extra: ExtraParams): GrantRequest {
	const params: Record<string, string> = { ...extra, grant_type: 'authorization_code', code, redirect_uri: redirectUri }
	if (codeVerifier !== undefined) params.code_verifier = codeVerifier
	return { grantType: 'authorization_code', params, secrets: codeVerifier === undefined ? [code] : [code, codeVerifier], repeatable: false }
}

// The consent flow's public argument and result types, kept apart from its implementation so that the
// published declarations of the manager reach no internal module.

/** Arguments of {@link TokenManager.exchangeCode} ([RFC 6749 §4.1.3](https://www.rfc-editor.org/rfc/rfc6749#section-4.1.3)). */
export interface ExchangeCodeOptions {
	/** The `code` query parameter the provider redirected back with. */
	code: string
	/** The `state` query parameter the provider redirected back with. */
	state: string
	/** The state kept from {@link TokenManager.authorizationUrl}; a mismatch fails before any request. */
	expectedState: string
	/** PKCE verifier kept from {@link TokenManager.authorizationUrl}. */
	codeVerifier?: string | undefined
	/** The redirect URI used in the authorization request; defaults to the manager's `redirectUri`. */
	redirectUri?: string | undefined
	/** The account holder to store the tokens under. */
	subject: string
}

/** An account holder's consent as the manager knows it. */
export interface ConsentInfo {
	/** The account holder. */
	subject: string
	/** Scope the holder consented to. */
	scope: readonly string[]
	/** When the refresh token lapses (epoch ms), when known. */
	refreshExpiresAt: number | undefined
}

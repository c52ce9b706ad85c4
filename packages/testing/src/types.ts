import type { KeyObject } from 'node:crypto'
import type { FetchLike } from '@tokenwarden/core'

/** Client authentication methods the mock endpoint recognises on a request ([RFC 6749 §2.3](https://www.rfc-editor.org/rfc/rfc6749#section-2.3), [RFC 7523 §2.2](https://www.rfc-editor.org/rfc/rfc7523#section-2.2)). */
export type SeenClientAuth = 'client_secret_basic' | 'client_secret_post' | 'client_secret_jwt' | 'private_key_jwt' | 'none'

/** OAuth error codes of a token endpoint ([RFC 6749 §5.2](https://www.rfc-editor.org/rfc/rfc6749#section-5.2)), plus two that real servers send too. */
export type OAuthErrorCode =
	| 'invalid_request'
	| 'invalid_client'
	| 'invalid_grant'
	| 'unauthorized_client'
	| 'unsupported_grant_type'
	| 'invalid_scope'
	| 'server_error'
	| 'temporarily_unavailable'

/**
 * A failure to answer with instead of a token, for {@link TokenServer.failNext}:
 * - an OAuth error code: HTTP 400 (401 for `invalid_client`) with an RFC 6749 §5.2 body;
 * - `'html'`: HTTP 200 with an HTML sign-in page, as a misrouted proxy or gateway answers;
 * - `'network'`: the connection fails (the request rejects, as `fetch` does on ECONNRESET);
 * - `{ error, description?, status? }`: an OAuth error of your choosing;
 * - `{ status, retryAfter?, body?, contentType?, headers? }`: any HTTP answer, for example
 *   `{ status: 503, retryAfter: 2 }` ([RFC 9110 §10.2.3](https://www.rfc-editor.org/rfc/rfc9110#section-10.2.3) `Retry-After`, seconds or an HTTP date).
 */
export type TokenEndpointFailure =
	| OAuthErrorCode
	| 'html'
	| 'network'
	| { error: string; description?: string | undefined; status?: number | undefined }
	| {
			status: number
			retryAfter?: number | string | undefined
			body?: string | Readonly<Record<string, unknown>> | undefined
			contentType?: string | undefined
			headers?: Readonly<Record<string, string>> | undefined
	  }

/** Where {@link TokenServer.failNext} applies. */
export interface FailNextOptions {
	/** How many requests in a row get the failure. Default 1. */
	times?: number | undefined
	/** Only requests of this grant type get it (others are answered normally). Default: any. */
	grantType?: string | undefined
}

/** Access token shape: `'opaque'`, `'jwt'` (unsigned, `alg: none`), or a JWT with options. */
export type TokenFormat = 'opaque' | 'jwt' | JwtFormat

/** JWT access tokens ([RFC 9068](https://www.rfc-editor.org/rfc/rfc9068)): `exp` = issue time + `expiresIn`. */
export interface JwtFormat {
	/** `'none'` (unsigned, default) or an HMAC algorithm, signed with `secret` through jose. */
	alg?: 'none' | 'HS256' | 'HS384' | 'HS512' | undefined
	/** HMAC key for `HS*`; at least 32 bytes for HS256, as jose requires. */
	secret?: string | Uint8Array | undefined
	/** `iss` claim. Default: the token URL's origin. */
	issuer?: string | undefined
	/** `aud` claim. Default: none. */
	audience?: string | readonly string[] | undefined
	/** Extra claims, merged over the defaults. */
	claims?: Readonly<Record<string, unknown>> | undefined
}

/** What a successful token response is built for, for {@link TokenServerOptions.responseFields}. */
export interface ResponseContext {
	/** `grant_type` of the request. */
	grantType: string
	/** Scope granted. */
	scope: readonly string[]
	/** The subject the authorization code was issued for, on authorization_code and refresh_token grants. */
	subject: string | undefined
}

/** Options of {@link createTokenServer} and {@link mockTokenEndpoint}. */
export interface TokenServerOptions {
	/** The token endpoint ([RFC 6749 §3.2](https://www.rfc-editor.org/rfc/rfc6749#section-3.2)) to answer, as in the manager's `tokenUrl`. */
	tokenUrl: string
	/** Also answer this revocation endpoint ([RFC 7009](https://www.rfc-editor.org/rfc/rfc7009)), as in the manager's `revocationUrl`. */
	revocationUrl?: string | undefined
	/** The client_id to expect. Without it any client is accepted. */
	clientId?: string | undefined
	/** The client secret to expect (Basic, form body or a `client_secret_jwt` assertion). Without it no secret is checked. */
	clientSecret?: string | undefined
	/**
	 * The one client authentication method to accept. Default: any method that proves `clientSecret`
	 * (`client_secret_basic`, `client_secret_post`, `client_secret_jwt`), or any method when there is no secret.
	 */
	clientAuth?: SeenClientAuth | undefined
	/** Public key to verify `private_key_jwt` assertions with. Without it only their claims are checked. */
	clientPublicKey?: KeyObject | JsonWebKey | undefined
	/** Access token lifetime in **seconds**, sent as `expires_in` (the wire unit of RFC 6749 §5.1). Default 3600. */
	expiresIn?: number | undefined
	/** Opaque (default) or JWT access tokens. */
	tokenFormat?: TokenFormat | undefined
	/** Scopes a client may ask for; a request for any other gets `invalid_scope`. Default: any scope. */
	scopes?: string | readonly string[] | undefined
	/** Scope granted when a request names none. Default: none. */
	defaultScope?: string | readonly string[] | undefined
	/** Send the granted scope back in `scope`. Default true (false mimics servers that do not echo it). */
	echoScope?: boolean | undefined
	/** Issue refresh tokens with authorization_code grants. Default true. */
	refreshTokens?: boolean | undefined
	/** Every refresh returns a new refresh token and retires the old one. Default true. */
	rotateRefreshTokens?: boolean | undefined
	/** Refresh token lifetime in **seconds**, sent as `refresh_expires_in` and enforced. Default: no lapse. */
	refreshExpiresIn?: number | undefined
	/** `token_type` to send. Default `'Bearer'`. */
	tokenType?: string | undefined
	/** Fields added to (or replacing those of) every successful token response, to mimic a provider's quirks. */
	responseFields?: Readonly<Record<string, unknown>> | ((context: ResponseContext) => Readonly<Record<string, unknown>>) | undefined
}

/** One request the token endpoint received. */
export interface TokenEndpointRequest {
	/** `grant_type` sent. */
	grantType: string | undefined
	/** Scope asked for (normalised, sorted), or undefined when the request named none. */
	scope: string[] | undefined
	/** The form as sent, with `client_secret` replaced by `'[redacted]'`. */
	form: Record<string, string>
	/** client_id presented (Basic user, form, or assertion issuer). */
	clientId: string | undefined
	/** How the client authenticated. */
	clientAuth: SeenClientAuth
	/** `Date.now()` when it arrived (fake timers move it). */
	at: number
	/** HTTP status answered (0 for a simulated network failure). */
	status: number
	/** OAuth error answered, if any. */
	error: string | undefined
	/** `error_description` answered, if any: says why (for example a reused refresh token). */
	errorDescription: string | undefined
}

/** A token the endpoint handed out. */
export interface IssuedToken {
	/** The access token sent. */
	accessToken: string
	/** The refresh token sent, if any. */
	refreshToken: string | undefined
	/** `grant_type` of the request it answered. */
	grantType: string
	/** Scope granted. */
	scope: string[]
	/** The account holder, for authorization_code and refresh_token grants. */
	subject: string | undefined
	/** Epoch ms (`Date.now()`) of issue. */
	issuedAt: number
	/** Epoch ms the access token expires: issue time + `expiresIn` (a JWT's `exp` says the same, in seconds). */
	expiresAt: number
}

/** One request the revocation endpoint received ([RFC 7009 §2.1](https://www.rfc-editor.org/rfc/rfc7009#section-2.1)). */
export interface RevocationRequest {
	/** The token to revoke. */
	token: string
	/** `token_type_hint` sent, if any. */
	tokenTypeHint: string | undefined
	/** client_id presented. */
	clientId: string | undefined
	/** How the client authenticated. */
	clientAuth: SeenClientAuth
	/** `Date.now()` when it arrived. */
	at: number
	/** HTTP status answered. */
	status: number
}

/** Options of {@link TokenServer.issueCode}. */
export interface IssueCodeOptions {
	/** The code string. Default: a fresh `code-<n>`. */
	code?: string | undefined
	/** Scope the holder consented to. Default: `defaultScope`. */
	scope?: string | readonly string[] | undefined
	/** The exchange must send this `redirect_uri` ([RFC 6749 §4.1.3](https://www.rfc-editor.org/rfc/rfc6749#section-4.1.3)). Default: not checked. */
	redirectUri?: string | undefined
	/** PKCE challenge the exchange's `code_verifier` must match ([RFC 7636 §4.6](https://www.rfc-editor.org/rfc/rfc7636#section-4.6)). */
	codeChallenge?: string | undefined
	/** Default `'S256'`. */
	codeChallengeMethod?: 'S256' | 'plain' | undefined
	/** The account holder; becomes the JWT `sub` and {@link IssuedToken.subject}. */
	subject?: string | undefined
}

/** What {@link TokenServer.approve} returns: the redirect back to the application. */
export interface Approval {
	/** The authorization code. */
	code: string
	/** The `state` of the authorization URL, returned unchanged. */
	state: string
	/** The redirect URI with `code` and `state`, as the browser would be sent back. */
	callbackUrl: string
}

/**
 * A simulated OAuth 2.0 authorization server's token endpoint, with no network: hand `fetch` to
 * `createTokenManager({ fetch })`, or `handle` to msw. {@link mockTokenEndpoint} puts one behind nock.
 */
export interface TokenServer {
	/** The token endpoint URL it answers. */
	readonly tokenUrl: string
	/** Every token request, in order. */
	readonly requests: readonly TokenEndpointRequest[]
	/** Every token handed out, in order. */
	readonly issued: readonly IssuedToken[]
	/** Every revocation request, in order. */
	readonly revocations: readonly RevocationRequest[]
	/** Why client authentication failed, one line per failed request (never quoting a secret). */
	readonly authFailures: readonly string[]
	/** Token requests so far, of one grant type or all. */
	count(grantType?: string): number
	/** Answer the next request(s) with a failure instead of a token. Failures queue up in order. */
	failNext(failure: TokenEndpointFailure, options?: FailNextOptions): void
	/** An authorization code the token endpoint will accept once (10 minutes, [RFC 6749 §4.1.2](https://www.rfc-editor.org/rfc/rfc6749#section-4.1.2)). */
	issueCode(options?: IssueCodeOptions): string
	/**
	 * Plays the account holder consenting at the authorization URL ([RFC 6749 §4.1.1](https://www.rfc-editor.org/rfc/rfc6749#section-4.1.1)):
	 * checks `response_type`, `client_id`, `redirect_uri`, `state` and scope, keeps the PKCE challenge,
	 * and returns the code and state the redirect brings back.
	 */
	approve(authorizationUrl: string, options?: { subject?: string | undefined }): Approval
	/** Revokes every refresh token issued so far (the holder withdrew consent): the next refresh gets `invalid_grant`. */
	revokeRefreshTokens(): void
	/** Throws when a request failed client authentication or a `failNext` failure was never used. */
	verify(): void
	/** Answers one request to the token (or revocation) endpoint. Rejects like `fetch` for `'network'`. */
	handle(request: Request): Promise<Response>
	/** A `fetch` for `createTokenManager({ fetch })`; rejects for any other URL. */
	readonly fetch: FetchLike
}

/** The handle of {@link mockTokenEndpoint}: a {@link TokenServer} behind nock interceptors. */
export interface MockTokenEndpoint extends TokenServer {
	/** Removes the interceptors, then {@link TokenServer.verify}: call it at the end of a test. */
	done(): void
	/** Removes the interceptors without checking anything. Idempotent. */
	close(): void
}

import type { KeyObject } from 'node:crypto'
import type { Logger, TokenWardenEvent } from './events.js'
import type { TokenStore } from './store.js'

/** Client authentication methods at the token endpoint ([RFC 6749 §2.3](https://www.rfc-editor.org/rfc/rfc6749#section-2.3), [OIDC Core §9](https://openid.net/specs/openid-connect-core-1_0.html#ClientAuthentication), [RFC 8705 §2](https://www.rfc-editor.org/rfc/rfc8705#section-2)). */
export type ClientAuthMethod = 'client_secret_basic' | 'client_secret_post' | 'client_secret_jwt' | 'private_key_jwt' | 'tls_client_auth' | 'self_signed_tls_client_auth' | 'none'

/** A clock: epoch milliseconds and timers. Inject one in tests, or rely on fake timers with the default. */
export interface Clock {
	/** The current time in epoch milliseconds, like `Date.now()`. */
	now(): number
	/** Schedules `callback` after `ms` milliseconds, like the global `setTimeout`; returns a handle for `clearTimeout`. */
	setTimeout(callback: () => void, ms: number): unknown
	/** Cancels a timer made by this clock's `setTimeout`. */
	clearTimeout(handle: unknown): void
}

/** The subset of `fetch` the manager uses. */
export type FetchLike = (input: string | URL, init: RequestInit & { dispatcher?: unknown }) => Promise<Response>

/** Retrying failed token requests: network errors, timeouts, 5xx and 429, never OAuth errors. */
export interface RetryOptions {
	/** Retries after the first attempt. Default 2. */
	limit?: number
	/** First backoff delay in ms; doubles per attempt, with full jitter. Default 250. */
	delay?: number
	/** Longest backoff delay in ms. Default 10 000. */
	maxDelay?: number
	/** Longest `Retry-After` honoured, in ms; a longer one fails at once. Default 60 000. */
	maxRetryAfter?: number
}

/** A cap on token requests per interval across all keys (some providers block clients that ask too often). */
export interface RateLimitOptions {
	/** Requests allowed in any sliding window of `interval` ms. */
	limit: number
	/** Window length in ms. */
	interval: number
}

/** Client certificate for mutual TLS ([RFC 8705](https://www.rfc-editor.org/rfc/rfc8705)). PEM strings or Buffers, or a PKCS#12 `pfx`. */
export interface TlsOptions {
	/** Client certificate chain, PEM. */
	cert?: string | Buffer | undefined
	/** Private key of the certificate, PEM. */
	key?: string | Buffer | undefined
	/** Certificate and key as one PKCS#12 archive (bytes, or a base64 string), instead of `cert` and `key`. */
	pfx?: string | Buffer | Uint8Array | undefined
	/** Passphrase of an encrypted `key` or `pfx`. */
	passphrase?: string | undefined
	/**
	 * CA certificates to trust for the token endpoint's server certificate. They replace the system CAs
	 * (Node's `tls` semantics). Given alone (no cert/key/pfx), the manager trusts that CA and presents no certificate.
	 */
	ca?: string | Buffer | ReadonlyArray<string | Buffer> | undefined
}

/** A private JWK (with `kid` and `alg`), a PEM string or Buffer, or a `KeyObject`. */
export type PrivateKeyInput = JsonWebKey | string | Buffer | KeyObject

/** Options shared by every client authentication method. */
export interface BaseTokenManagerOptions {
	/** Token endpoint ([RFC 6749 §3.2](https://www.rfc-editor.org/rfc/rfc6749#section-3.2)). https, or http on loopback. */
	tokenUrl: string
	/** The `client_id` the authorization server issued ([RFC 6749 §2.2](https://www.rfc-editor.org/rfc/rfc6749#section-2.2)). */
	clientId: string
	/** Default scope, space-separated string or array. */
	scope?: string | readonly string[] | undefined
	/**
	 * Refresh in the background when a token has less than this left, in ms. Default 60 000, capped at a
	 * fifth of a shorter token's lifetime (a 2 s token refreshes at 1.6 s). A value given is honoured
	 * exactly; only a token living less than it refreshes at 80 % of its life.
	 */
	refreshAhead?: number | undefined
	/**
	 * Never hand out a token with less than this left, in ms. Default 10 000, capped at a tenth of a
	 * shorter token's lifetime. A value given is honoured exactly; only a token living less than it
	 * retires at 90 % of its life.
	 */
	expiryMargin?: number | undefined
	/** Lifetime when neither a JWT `exp` nor `expires_in` says, in ms. Default 300 000. */
	defaultLifetime?: number | undefined
	/** Timeout of one token request attempt, in ms. Default 10 000. */
	timeout?: number | undefined
	/** Retry policy, or the number of retries. `0` or `false` disables retries. */
	retry?: number | false | RetryOptions | undefined
	/** Cap on token requests (attempts) per interval across all keys. Default: none. */
	rateLimit?: RateLimitOptions | undefined
	/** Token requests in flight at once across all keys. Default 4. */
	concurrency?: number | undefined
	/** Where tokens are kept. Default: a {@link memoryStore} of this manager; a shared store (`@tokenwarden/redis`) shares tokens across processes. */
	store?: TokenStore | undefined
	/** `fetch` for the token and revocation endpoints. Default: the global `fetch`. Not together with `tls`. */
	fetch?: FetchLike | undefined
	/** Time and timers. Default: the system clock (fake timers move it). */
	clock?: Clock | undefined
	/**
	 * Source of jitter, returning numbers in [0, 1) like `Math.random` (the default): the spread of
	 * background refreshes of tokens issued together, and the per-key backoff during an outage. Inject a
	 * fixed one to make both deterministic in tests.
	 */
	random?: (() => number) | undefined
	/** Receives every {@link TokenWardenEvent}; events never carry a secret. Called synchronously: keep it fast. */
	onEvent?: ((event: TokenWardenEvent) => void) | undefined
	/** Console-compatible logger for warnings and diagnostics; never given a secret. Default: none. */
	logger?: Logger | undefined
	/** Extra form parameters for every token request (for example `audience` or `resource`). */
	tokenParams?: Readonly<Record<string, string>> | undefined
	/** Client certificate for mutual TLS on the token endpoint. The manager then brings its own fetch, so `fetch` cannot be given too. */
	tls?: TlsOptions | undefined
	/** Authorization endpoint for the consent flow ([RFC 6749 §3.1](https://www.rfc-editor.org/rfc/rfc6749#section-3.1)). */
	authorizeUrl?: string | undefined
	/** Default redirect URI for the consent flow. */
	redirectUri?: string | undefined
	/** Refresh token lifetime when the server does not send `refresh_expires_in`, in ms. Default: unknown (never assumed to lapse). */
	refreshTokenLifetime?: number | undefined
	/** Emit `consent-expiring` this long before a refresh token lapses, in ms. Default 3 days. */
	consentWarning?: number | undefined
	/** Send the scope on refresh_token grants (BS2 requires it). Default true when a scope is known. */
	scopeOnRefresh?: boolean | undefined
	/** Token revocation endpoint ([RFC 7009](https://www.rfc-editor.org/rfc/rfc7009)). */
	revocationUrl?: string | undefined
	/** Most scopes one token may carry (Bankly allows 10). More is a TypeError before any request. */
	maxScopes?: number | undefined
	/**
	 * Byte cap on every token, error and revocation response body, counted after decompression and
	 * enforced while the body streams in: past it the response is cancelled and the request fails with an
	 * `InvalidTokenResponseError` (reason `too_large`, on a 2xx) or a `TokenEndpointError`.
	 * Memory per response never grows past it, whatever the server (or a gzip bomb) sends.
	 * An integer from 1024 to 67 108 864 (64 MiB). Default 65 536 (64 KiB).
	 */
	maxResponseBytes?: number | undefined
}

/** Client secret methods ([RFC 6749 §2.3.1](https://www.rfc-editor.org/rfc/rfc6749#section-2.3.1), `client_secret_jwt` per [RFC 7523](https://www.rfc-editor.org/rfc/rfc7523)). */
export interface ClientSecretOptions extends BaseTokenManagerOptions {
	/** Default `'client_secret_basic'`. */
	clientAuth?: 'client_secret_basic' | 'client_secret_post' | 'client_secret_jwt' | undefined
	/** The client secret ([RFC 6749 §2.3.1](https://www.rfc-editor.org/rfc/rfc6749#section-2.3.1)); never logged or put into an error. */
	clientSecret: string
	/**
	 * `client_secret_basic` only: how id and secret are encoded before base64. RFC 6749 §2.3.1 says
	 * form-urlencoded (the default; spec-following servers decode it). Some providers (Juno, BS2)
	 * document the raw `id:secret` instead; their presets set `'raw'`. The two differ only for
	 * credentials with characters such as `+ % & : /` or spaces.
	 */
	basicAuthEncoding?: 'form-urlencoded' | 'raw' | undefined
	/** `client_secret_jwt` only: HMAC algorithm. Default HS256. */
	algorithm?: 'HS256' | 'HS384' | 'HS512' | undefined
	/** JWT assertion audience. Default: the token endpoint. */
	assertionAudience?: string | undefined
}

/** `private_key_jwt` ([RFC 7523 §2.2](https://www.rfc-editor.org/rfc/rfc7523#section-2.2), [OIDC Core §9](https://openid.net/specs/openid-connect-core-1_0.html#ClientAuthentication)). */
export interface PrivateKeyJwtOptions extends BaseTokenManagerOptions {
	/** Sign a JWT client assertion with `privateKey`. */
	clientAuth: 'private_key_jwt'
	/** The key that signs assertions; the authorization server holds its public key. */
	privateKey: PrivateKeyInput
	/** `kid` header; taken from a JWK's `kid` when absent. */
	keyId?: string | undefined
	/** RS256, PS256 or ES256 (and their larger siblings); taken from a JWK's `alg` when absent. */
	algorithm?: string | undefined
	/** JWT assertion audience. Default: the token endpoint. */
	assertionAudience?: string | undefined
	/** No secret with a private key. */
	clientSecret?: undefined
}

/** Mutual TLS client authentication ([RFC 8705 §2](https://www.rfc-editor.org/rfc/rfc8705#section-2)): the certificate is the credential. */
export interface TlsClientAuthOptions extends BaseTokenManagerOptions {
	/** `tls_client_auth` for a CA-issued certificate, `self_signed_tls_client_auth` for a registered self-signed one. */
	clientAuth: 'tls_client_auth' | 'self_signed_tls_client_auth'
	/** The client certificate presented on the token endpoint. */
	tls: TlsOptions
	/** No secret: the certificate is the credential. */
	clientSecret?: undefined
}

/** Public clients ([RFC 6749 §2.1](https://www.rfc-editor.org/rfc/rfc6749#section-2.1)): client_id only. */
export interface NoClientAuthOptions extends BaseTokenManagerOptions {
	/** Send `client_id` only. */
	clientAuth: 'none'
	/** No secret for a public client. */
	clientSecret?: undefined
}

/** Options of {@link createTokenManager}: a union on `clientAuth`. */
export type TokenManagerOptions = ClientSecretOptions | PrivateKeyJwtOptions | TlsClientAuthOptions | NoClientAuthOptions

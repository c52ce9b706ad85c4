import { inspect } from 'node:util'
import type { ClientAuthMethod } from './types/options.js'

/** Which credential set an error is about: never a secret, enough to tell managers apart in logs. */
export interface ErrorContext {
	/** The token endpoint. */
	readonly tokenUrl: string
	/** The client id (public by RFC 6749 §2.2). */
	readonly clientId: string
	/** The client authentication method. */
	readonly clientAuth: ClientAuthMethod
}

/** Marks the prototype of every tokenwarden error class, in every copy of this module (`Symbol.for` is process-wide). */
const BRAND = Symbol.for('tokenwarden.error')

/**
 * Base class of every error tokenwarden throws at runtime. Each subclass has a stable `code`.
 *
 * Errors are built from safe facts only (status, OAuth error code, field names); no client secret,
 * Authorization header, assertion, code, access or refresh token is ever put into one.
 *
 * `instanceof` works across copies of the package (an application that both imports the ES module and
 * requires the CommonJS build gets two): see `TokenWardenError[Symbol.hasInstance]`.
 */
export class TokenWardenError extends Error {
	static {
		Object.defineProperty(TokenWardenError.prototype, BRAND, { value: true })
	}

	/**
	 * `error instanceof OAuthError` is true for an error of this class or a subclass, and for a branded
	 * tokenwarden error from another copy of the package whose class chain has a class of this name.
	 */
	static override [Symbol.hasInstance](value: unknown): boolean {
		// biome-ignore lint/complexity/noThisInStatic: `this` is the class on the right of instanceof (subclasses inherit this method)
		if (Function.prototype[Symbol.hasInstance].call(this, value)) return true
		if (typeof value !== 'object' || value === null || !(BRAND in value)) return false
		for (let prototype = Object.getPrototypeOf(value); prototype !== null; prototype = Object.getPrototypeOf(prototype)) {
			// biome-ignore lint/complexity/noThisInStatic: as above
			if (Object.hasOwn(prototype, 'constructor') && prototype.constructor.name === this.name) return true
		}
		return false
	}

	/** Stable machine-readable code of the error class, for example `OAUTH_ERROR`. */
	readonly code: string = 'TOKENWARDEN_ERROR'
	/** The token endpoint, client id and client authentication method the error is about, when it came from a manager's token request. */
	declare readonly context?: ErrorContext | undefined

	constructor(message: string, options?: { cause?: unknown }) {
		super(message, options)
		this.name = new.target.name
	}

	/** A plain, secret-free description for JSON logs. */
	toJSON(): Record<string, unknown> {
		const json: Record<string, unknown> = { name: this.name, code: this.code, message: this.message }
		for (const [key, value] of Object.entries(this)) {
			if (key !== 'cause' && value !== undefined) json[key] = value
		}
		if (this.cause instanceof Error) json.cause = { name: this.cause.name, message: this.cause.message }
		return json
	}

	/** What `util.inspect` and `console.log` show: the stack and the secret-free {@link TokenWardenError.toJSON} fields. */
	[inspect.custom](): string {
		return `${this.stack ?? `${this.name}: ${this.message}`}\n${inspect(this.toJSON(), { depth: 3 })}`
	}
}

/** The token endpoint answered with an OAuth error ([RFC 6749 §5.2](https://www.rfc-editor.org/rfc/rfc6749#section-5.2)). Never retried. */
export class OAuthError extends TokenWardenError {
	/** Always `OAUTH_ERROR`. */
	override readonly code = 'OAUTH_ERROR'
	/** The OAuth `error` code, for example `invalid_client`, `invalid_scope`, `invalid_grant`. */
	readonly error: string
	/** The server's `error_description`, with known secrets masked. */
	readonly errorDescription: string | undefined
	/** The server's `error_uri`: a page about the error. */
	readonly errorUri: string | undefined
	/** HTTP status of the error response (RFC 6749 §5.2 says 400, or 401 for `invalid_client`). */
	readonly status: number

	constructor(fields: { error: string; errorDescription?: string | undefined; errorUri?: string | undefined; status: number }) {
		const description = fields.errorDescription ? `: ${fields.errorDescription}` : ''
		super(`Token endpoint returned ${fields.error} (HTTP ${fields.status})${description}`)
		this.error = fields.error
		this.errorDescription = fields.errorDescription
		this.errorUri = fields.errorUri
		this.status = fields.status
	}
}

/** The token endpoint could not be reached or kept failing (network, timeout, 5xx, 429, unexpected status) after retries. */
export class TokenEndpointError extends TokenWardenError {
	/** Always `TOKEN_ENDPOINT_ERROR`. */
	override readonly code = 'TOKEN_ENDPOINT_ERROR'
	/** HTTP status of the last attempt, absent for network failures and timeouts. */
	readonly status: number | undefined
	/** Attempts made, retries included. */
	readonly attempts: number
	/** The `Retry-After` the server asked for, in ms, when it was longer than the manager will wait. */
	readonly retryAfter: number | undefined
	/**
	 * True when the response's status line arrived before the failure (the body was cut off, reset or
	 * undecodable): the server has processed the request, so a request that spends what it sends (a
	 * rotating refresh token, a code) must not be repeated. Absent when unknown.
	 */
	readonly serverMayHaveActed: boolean | undefined

	constructor(
		message: string,
		fields: { status?: number | undefined; attempts: number; retryAfter?: number | undefined; serverMayHaveActed?: boolean | undefined; cause?: unknown },
	) {
		super(message, fields.cause === undefined ? undefined : { cause: fields.cause })
		this.status = fields.status
		this.attempts = fields.attempts
		this.retryAfter = fields.retryAfter
		this.serverMayHaveActed = fields.serverMayHaveActed
	}
}

/** Why a 2xx token response was unusable. */
export type InvalidTokenResponseReason =
	| 'not_json'
	| 'html'
	| 'not_an_object'
	| 'missing_access_token'
	| 'unsupported_token_type'
	| 'invalid_expires_in'
	| 'expired_on_arrival'
	| 'invalid_refresh_token'
	| 'invalid_access_token'
	| 'too_large'

/** A 2xx response that is not a usable token response ([RFC 6749 §5.1](https://www.rfc-editor.org/rfc/rfc6749#section-5.1)). */
export class InvalidTokenResponseError extends TokenWardenError {
	/** Always `INVALID_TOKEN_RESPONSE`. */
	override readonly code = 'INVALID_TOKEN_RESPONSE'
	/** What was wrong with the response. */
	readonly reason: InvalidTokenResponseReason
	/** HTTP status of the response (a 2xx). */
	readonly status: number
	/** `Content-Type` of the response. */
	readonly contentType: string | undefined
	/** For bodies that are not JSON: their start, with known secrets masked (HTML error pages say what went wrong). */
	readonly bodySnippet: string | undefined

	constructor(message: string, fields: { reason: InvalidTokenResponseReason; status: number; contentType?: string | null | undefined; bodySnippet?: string | undefined }) {
		super(message)
		this.reason = fields.reason
		this.status = fields.status
		this.contentType = fields.contentType ?? undefined
		this.bodySnippet = fields.bodySnippet
	}
}

/** An account holder must consent again: no refresh token, an expired one, or `invalid_grant` on refresh. */
export class ConsentRequiredError extends TokenWardenError {
	/** Always `CONSENT_REQUIRED`. */
	override readonly code = 'CONSENT_REQUIRED'
	/** The account holder who must consent again. */
	readonly subject: string
	/** No refresh token, a lapsed one, or the server answered `invalid_grant`. */
	readonly reason: 'no_refresh_token' | 'refresh_token_expired' | 'invalid_grant'

	constructor(subject: string, reason: ConsentRequiredError['reason'], options?: { cause?: unknown }) {
		super(`Consent required for subject "${subject}" (${reason.replaceAll('_', ' ')})`, options)
		this.subject = subject
		this.reason = reason
	}
}

/** The `state` returned to the redirect URI is not the one sent ([RFC 6749 §10.12](https://www.rfc-editor.org/rfc/rfc6749#section-10.12)). Nothing was sent to the token endpoint. */
export class StateMismatchError extends TokenWardenError {
	/** Always `STATE_MISMATCH`. */
	override readonly code = 'STATE_MISMATCH'
	constructor() {
		super('The state returned with the authorization code does not match the expected state')
	}
}

/** A store refused to keep an entry (for example the memory store's bound on refresh-token sets). */
export class StoreFullError extends TokenWardenError {
	/** Always `STORE_FULL`. */
	override readonly code = 'STORE_FULL'
	/** A refusal, not an outage (see the store contract, `StoreFailure`): the store is not paused for it. */
	readonly storeFailure = 'refused'
	/** The bound that was reached (for the memory store, `maxRefreshEntries`). */
	readonly limit: number
	constructor(limit: number) {
		super(`The token store holds its maximum of ${limit} refresh-token sets; none is evicted silently`)
		this.limit = limit
	}
}

/**
 * The shared store could not be read when only it knows the answer: an account holder's current refresh
 * token. A copy this process kept may have been rotated since by another process, and spending it could
 * get it refused (or, with reuse detection, revoke the holder's consent), so none is spent. The consent
 * is not lost; retry when the store is back.
 */
export class StoreUnavailableError extends TokenWardenError {
	/** Always `STORE_UNAVAILABLE`. */
	override readonly code = 'STORE_UNAVAILABLE'
	/** The account holder whose refresh token could not be read. */
	readonly subject: string
	constructor(subject: string, options?: { cause?: unknown }) {
		super(`The token store is unavailable, and only it knows the current refresh token of subject "${subject}"; the consent is not lost: retry when the store is back`, options)
		this.subject = subject
	}
}

/**
 * A token request was held back by the `rateLimit` budget for longer than the manager's `timeout`
 * (some providers block clients that ask too often, so the budget is never overrun).
 */
export class RateLimitedError extends TokenWardenError {
	/** Always `RATE_LIMITED`. */
	override readonly code = 'RATE_LIMITED'
	/** When the budget has room for another token request, epoch ms. */
	readonly retryAt: number
	/** How long from when the error was thrown until then, ms. */
	readonly retryAfter: number

	constructor(fields: { retryAt: number; now: number; limit: number; interval: number }) {
		const after = Math.max(0, fields.retryAt - fields.now)
		super(
			`Token request held back by rateLimit (${fields.limit} per ${fields.interval} ms) longer than the timeout; the budget frees up in ${Math.ceil(after / 1000)} s (at ${new Date(fields.retryAt).toISOString()})`,
		)
		this.retryAt = fields.retryAt
		this.retryAfter = after
	}
}

/** Adds the credential set to an error (once): see {@link TokenWardenError.context}. */
export function withContext<E>(error: E, context: ErrorContext): E {
	if (error instanceof TokenWardenError && error.context === undefined) {
		Object.defineProperty(error, 'context', { value: context, enumerable: true, configurable: true })
	}
	return error
}

/** The caller's `AbortSignal` fired while it waited. */
export class AbortError extends TokenWardenError {
	/** Always `ABORTED`. */
	override readonly code = 'ABORTED'
	constructor(reason?: unknown) {
		super('The token request was aborted by the caller', reason === undefined ? undefined : { cause: reason })
	}
}

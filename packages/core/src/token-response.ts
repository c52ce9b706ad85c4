import { type BodyReadOptions, readCappedText } from './body-reader.js'
import { InvalidTokenResponseError, OAuthError } from './errors.js'
import { computeExpiry, type Expiry } from './expiry.js'
import type { Redactor } from './redaction.js'
import { parseGrantedScope } from './scope.js'

/**
 * Longest access token accepted, in characters. Real tokens are far shorter (a JWT with many claims is
 * a few kilobytes); one this long would not fit the 16 KiB request-header limit of Node.js and most
 * proxies, so it is a broken response, not a token.
 */
export const MAX_ACCESS_TOKEN_LENGTH = 12 * 1024

/**
 * Error codes of [RFC 6749 §5.2](https://www.rfc-editor.org/rfc/rfc6749#section-5.2) and its extensions
 * (RFC 6750 §3.1, RFC 7009 §2.2.1, RFC 8628 §3.5, RFC 8707 §2, RFC 9449 §5): quoted as they are, since
 * the manager acts on them; any other `error` value is server text and masked like the rest.
 */
const REGISTERED_ERRORS = new Set([
	'invalid_request',
	'invalid_client',
	'invalid_grant',
	'unauthorized_client',
	'unsupported_grant_type',
	'invalid_scope',
	'access_denied',
	'server_error',
	'temporarily_unavailable',
	'invalid_token',
	'insufficient_scope',
	'unsupported_token_type',
	'authorization_pending',
	'slow_down',
	'expired_token',
	'invalid_target',
	'invalid_dpop_proof',
	'use_dpop_nonce',
	'consent_required',
	'login_required',
	'interaction_required',
])

/** A validated successful token response ([RFC 6749 §5.1](https://www.rfc-editor.org/rfc/rfc6749#section-5.1)). */
export interface TokenResponse extends Expiry {
	accessToken: string
	tokenType: 'Bearer'
	/** Granted scope when the server echoed it. */
	scope: string[] | undefined
	refreshToken: string | undefined
	/** `refresh_expires_in` in ms, when sent (Keycloak and others). */
	refreshExpiresIn: number | undefined
	/** `cnf.x5t#S256` of a certificate-bound token ([RFC 8705 §3.1](https://www.rfc-editor.org/rfc/rfc8705#section-3.1)). */
	certificateThumbprint: string | undefined
}

export interface ReadContext {
	receivedAt: number
	defaultLifetime: number
	/** Masks known secrets in text taken from a response (HTML error pages may echo a request). */
	redact: Redactor
}

/** Reads a response body (up to `maxBytes`, see {@link readCappedText}) as JSON (or form-encoded), classifying everything else. */
export async function readBody(response: Response, options: BodyReadOptions): Promise<Record<string, unknown>> {
	const { redact } = options
	const contentType = response.headers.get('content-type')
	const text = await readCappedText(response, options)
	const trimmed = text.trimStart()
	if (/html/i.test(contentType ?? '') || /^<(!doctype|html|head|body|\?xml)/i.test(trimmed)) {
		throw new InvalidTokenResponseError(`Token endpoint answered HTTP ${response.status} with an HTML page instead of JSON`, {
			reason: 'html',
			status: response.status,
			contentType,
			bodySnippet: htmlSnippet(text, redact),
		})
	}
	if (/application\/x-www-form-urlencoded/i.test(contentType ?? '')) {
		return Object.fromEntries(new URLSearchParams(text))
	}
	let body: unknown
	try {
		body = JSON.parse(text)
	} catch {
		throw new InvalidTokenResponseError(
			`Token endpoint answered HTTP ${response.status} with a body that is not JSON (${text.length} characters of ${contentType ?? 'no content type'})`,
			{ reason: 'not_json', status: response.status, contentType },
		)
	}
	if (typeof body !== 'object' || body === null || Array.isArray(body)) {
		throw new InvalidTokenResponseError(`Token endpoint answered HTTP ${response.status} with JSON that is not an object`, {
			reason: 'not_an_object',
			status: response.status,
			contentType,
		})
	}
	return body as Record<string, unknown>
}

/**
 * An OAuth error body ([RFC 6749 §5.2](https://www.rfc-editor.org/rfc/rfc6749#section-5.2)), when the body is one.
 * Servers echo what they were sent ("Invalid refresh token: …"), so the free text is masked.
 */
export function oauthErrorFrom(body: Record<string, unknown>, status: number, redact: Redactor): OAuthError | undefined {
	if (typeof body.error !== 'string' || body.error === '') return undefined
	return new OAuthError({
		error: REGISTERED_ERRORS.has(body.error) ? body.error : redact(body.error, 100),
		errorDescription: typeof body.error_description === 'string' ? redact(body.error_description) : undefined,
		errorUri: typeof body.error_uri === 'string' ? redact(body.error_uri) : undefined,
		status,
	})
}

/**
 * Refresh tokens that came in a response rejected for another reason. A rotating server has already
 * spent the old refresh token, so throwing this one away would lose the consent; kept beside the error
 * (not on it, where it could be logged).
 */
const rescued = new WeakMap<Error, string>()

/** The new refresh token of a 2xx response that was otherwise unusable, if it carried one. */
export function rescuedRefreshToken(error: unknown): string | undefined {
	return error instanceof Error ? rescued.get(error) : undefined
}

/** Validates a successful token response. Throws {@link InvalidTokenResponseError} or {@link OAuthError}. */
export function parseTokenResponse(body: Record<string, unknown>, response: Response, context: ReadContext): TokenResponse {
	try {
		return validate(body, response, context)
	} catch (error) {
		const refreshToken = body.refresh_token
		if (error instanceof InvalidTokenResponseError && typeof refreshToken === 'string' && refreshToken !== '') rescued.set(error, refreshToken)
		throw error
	}
}

function validate(body: Record<string, unknown>, response: Response, context: ReadContext): TokenResponse {
	const status = response.status
	const { redact } = context
	const accessToken = body.access_token
	if (typeof accessToken !== 'string' || accessToken === '') {
		const oauthError = oauthErrorFrom(body, status, redact)
		if (oauthError) throw oauthError
		// Field names are server text too: a server that parsed the form body as JSON keys echoes it here.
		const fields = redact(Object.keys(body).join(', ') || 'none', 200)
		throw new InvalidTokenResponseError(`Token response has no access_token (fields: ${fields})`, {
			reason: 'missing_access_token',
			status,
			contentType: response.headers.get('content-type'),
		})
	}
	checkAccessToken(accessToken, response)
	// RFC 6749 §5.1: token_type is case insensitive. A missing one is taken as Bearer, as most clients do.
	const tokenType = body.token_type === undefined ? 'bearer' : body.token_type
	if (typeof tokenType !== 'string' || tokenType.toLowerCase() !== 'bearer') {
		throw new InvalidTokenResponseError(
			`Token response has token_type ${typeof tokenType === 'string' ? JSON.stringify(redact(tokenType, 20)) : typeof tokenType}; only Bearer is supported`,
			{ reason: 'unsupported_token_type', status, contentType: response.headers.get('content-type') },
		)
	}
	const refreshToken = body.refresh_token
	if (refreshToken !== undefined && refreshToken !== null && (typeof refreshToken !== 'string' || refreshToken === '')) {
		throw new InvalidTokenResponseError('Token response has a refresh_token that is not a non-empty string', {
			reason: 'invalid_refresh_token',
			status,
		})
	}
	const expiry = computeExpiry({
		accessToken,
		expiresIn: body.expires_in,
		receivedAt: context.receivedAt,
		dateHeader: response.headers.get('date'),
		defaultLifetime: context.defaultLifetime,
		status,
		redact,
	})
	const refreshExpiresIn = Number(body.refresh_expires_in)
	const cnf = body.cnf as Record<string, unknown> | undefined
	return {
		...expiry,
		accessToken,
		tokenType: 'Bearer',
		scope: parseGrantedScope(body.scope),
		refreshToken: typeof refreshToken === 'string' ? refreshToken : undefined,
		refreshExpiresIn: Number.isFinite(refreshExpiresIn) && refreshExpiresIn > 0 ? refreshExpiresIn * 1000 : undefined,
		certificateThumbprint: typeof cnf?.['x5t#S256'] === 'string' ? cnf['x5t#S256'] : undefined,
	}
}

/**
 * The access token as [RFC 6750 §2.1](https://www.rfc-editor.org/rfc/rfc6750#section-2.1) can carry it in an
 * Authorization header: visible ASCII only ([RFC 6749 §A.12](https://www.rfc-editor.org/rfc/rfc6749#appendix-A.12)
 * without the space, which b64token excludes), at most {@link MAX_ACCESS_TOKEN_LENGTH} characters. A control
 * character would be stripped or refused by the HTTP client later, quoting the token in its error. Never quotes it.
 */
function checkAccessToken(accessToken: string, response: Response): void {
	const problem =
		accessToken.length > MAX_ACCESS_TOKEN_LENGTH
			? `is ${accessToken.length} characters long, more than the ${MAX_ACCESS_TOKEN_LENGTH} accepted`
			: /[^\x21-\x7e]/.test(accessToken)
				? `has a control character, space or non-ASCII character at position ${accessToken.search(/[^\x21-\x7e]/)} (RFC 6750 b64token allows visible ASCII only)`
				: undefined
	if (problem === undefined) return
	throw new InvalidTokenResponseError(`Token response has an access_token that ${problem}; it is not used`, {
		reason: 'invalid_access_token',
		status: response.status,
		contentType: response.headers.get('content-type'),
	})
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ' }

/** An HTML page's title (or text), entities decoded so that an entity-encoded secret is masked too. */
function htmlSnippet(html: string, redact: Redactor): string {
	const title = /<title[^>]*>([^<]*)<\/title>/i.exec(html)?.[1]
	const text = (title ?? html.replace(/<[^>]*>/g, ' '))
		.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (entity, name: string) => {
			if (name[0] !== '#') return ENTITIES[name.toLowerCase()] ?? entity
			const code = name[1] === 'x' || name[1] === 'X' ? Number.parseInt(name.slice(2), 16) : Number(name.slice(1))
			return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : entity
		})
		.replace(/\s+/g, ' ')
		.trim()
	return redact(text, 160)
}

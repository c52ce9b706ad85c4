import { InvalidTokenResponseError, OAuthError } from './errors.js'
import { computeExpiry, type Expiry } from './expiry.js'
import { parseGrantedScope } from './scope.js'

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
	redact: (text: string) => string
}

/** Reads a response body as JSON (or form-encoded), classifying everything else. */
export async function readBody(response: Response, redact: (text: string) => string): Promise<Record<string, unknown>> {
	const contentType = response.headers.get('content-type')
	const text = await response.text()
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
export function oauthErrorFrom(body: Record<string, unknown>, status: number, redact: (text: string) => string): OAuthError | undefined {
	if (typeof body.error !== 'string' || body.error === '') return undefined
	return new OAuthError({
		error: redact(body.error),
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
	const fields = Object.keys(body).join(', ') || 'none'
	const accessToken = body.access_token
	if (typeof accessToken !== 'string' || accessToken === '') {
		const oauthError = oauthErrorFrom(body, status, context.redact)
		if (oauthError) throw oauthError
		throw new InvalidTokenResponseError(`Token response has no access_token (fields: ${fields})`, {
			reason: 'missing_access_token',
			status,
			contentType: response.headers.get('content-type'),
		})
	}
	// RFC 6749 §5.1: token_type is case insensitive. A missing one is taken as Bearer, as most clients do.
	const tokenType = body.token_type === undefined ? 'bearer' : body.token_type
	if (typeof tokenType !== 'string' || tokenType.toLowerCase() !== 'bearer') {
		throw new InvalidTokenResponseError(
			`Token response has token_type ${typeof tokenType === 'string' ? JSON.stringify(tokenType.slice(0, 20)) : typeof tokenType}; only Bearer is supported`,
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

function htmlSnippet(html: string, redact: (text: string) => string): string {
	const title = /<title[^>]*>([^<]*)<\/title>/i.exec(html)?.[1]
	const text = (title ?? html.replace(/<[^>]*>/g, ' ')).replace(/\s+/g, ' ').trim()
	return redact(text.slice(0, 160))
}

import type { OAuthErrorCode, TokenEndpointFailure } from './types.js'

const OAUTH_ERRORS: ReadonlySet<string> = new Set<OAuthErrorCode>([
	'invalid_request',
	'invalid_client',
	'invalid_grant',
	'unauthorized_client',
	'unsupported_grant_type',
	'invalid_scope',
	'server_error',
	'temporarily_unavailable',
])

/** What a gateway or a misrouted proxy answers instead of JSON. */
const SIGN_IN_PAGE = '<!DOCTYPE html><html><head><title>Sign in</title></head><body><form method="post"><input name="username"></form></body></html>'

/** An HTTP answer, with the OAuth error it carries (for the request log). */
export interface ResponseAnswer {
	kind: 'response'
	response: Response
	error: string | undefined
	description: string | undefined
}

/** A scripted answer: an HTTP response, or a connection failure. */
export type ScriptedAnswer = ResponseAnswer | { kind: 'network' }

/** Checks a failure at the boundary, so a typo is a TypeError in the test, not a puzzling answer. */
export function checkFailure(failure: TokenEndpointFailure): void {
	if (typeof failure === 'string') {
		if (failure === 'html' || failure === 'network' || OAUTH_ERRORS.has(failure)) return
		throw new TypeError(`tokenwarden: failNext takes an OAuth error code, 'html', 'network' or an object, not ${JSON.stringify(failure)}`)
	}
	if (typeof failure !== 'object' || failure === null) throw new TypeError('tokenwarden: failNext takes an OAuth error code, html, network or an object')
	if ('error' in failure) {
		if (typeof failure.error !== 'string' || failure.error === '') throw new TypeError('tokenwarden: failNext error must be a non-empty string')
		if (failure.status !== undefined) checkStatus(failure.status)
		return
	}
	if (!('status' in failure)) throw new TypeError('tokenwarden: failNext object needs error or status')
	checkStatus(failure.status)
}

function checkStatus(status: unknown): void {
	if (!Number.isInteger(status) || (status as number) < 200 || (status as number) > 599) {
		throw new TypeError('tokenwarden: failNext status must be an HTTP status from 200 to 599')
	}
}

/** The answer a failure stands for. */
export function answerFor(failure: TokenEndpointFailure): ScriptedAnswer {
	if (failure === 'network') return { kind: 'network' }
	if (failure === 'html') return textAnswer(200, SIGN_IN_PAGE, 'text/html; charset=utf-8', {})
	if (typeof failure === 'string') return oauthError(failure, `scripted ${failure} (failNext)`)
	if ('error' in failure) return oauthError(failure.error, failure.description, failure.status)
	const headers: Record<string, string> = { ...failure.headers }
	if (failure.retryAfter !== undefined) headers['retry-after'] = String(failure.retryAfter)
	if (failure.body === undefined) return textAnswer(failure.status, '', failure.contentType ?? 'text/plain', headers)
	if (typeof failure.body === 'string') return textAnswer(failure.status, failure.body, failure.contentType ?? 'text/plain', headers)
	return textAnswer(failure.status, JSON.stringify(failure.body), failure.contentType ?? 'application/json', headers)
}

/**
 * An RFC 6749 §5.2 error response: 400, or 401 with `WWW-Authenticate` for `invalid_client`
 * (the status a real server gives a client whose credentials it refused).
 */
export function oauthError(error: string, description?: string | undefined, status?: number | undefined): ResponseAnswer {
	const code = status ?? (error === 'invalid_client' ? 401 : 400)
	const headers: Record<string, string> = { 'cache-control': 'no-store' }
	if (code === 401) headers['www-authenticate'] = 'Basic realm="token endpoint"'
	const body = description === undefined ? { error } : { error, error_description: description }
	const answer = textAnswer(code, JSON.stringify(body), 'application/json', headers)
	return { ...answer, error, description }
}

function textAnswer(status: number, body: string, contentType: string, headers: Record<string, string>): ResponseAnswer {
	// A Response cannot carry a body with 204/205/304; the token endpoint never sends those anyway.
	const response = new Response(status === 204 || status === 205 || status === 304 ? null : body, {
		status,
		headers: { 'content-type': contentType, ...headers },
	})
	return { kind: 'response', response, error: undefined, description: undefined }
}

/** The error `fetch` rejects with when the connection resets. */
export function networkFailure(): TypeError {
	return new TypeError('fetch failed', { cause: Object.assign(new Error('socket hang up (simulated by failNext)'), { code: 'ECONNRESET' }) })
}

import type { FetchLike, Token } from '@tokenwarden/core'
import { UsageError } from './args.js'
import { type Challenge, parseChallenges } from './challenge.js'
import { audiences, type DecodedJwt } from './jwt.js'

/** What one probe found. */
export interface ProbeResult {
	url: string
	/** A 2xx answer. */
	ok: boolean
	/** HTTP status; absent when no response came (network, TLS, timeout). */
	status: number | undefined
	/** Milliseconds from sending the request to the response headers (or the failure). */
	timeMs: number
	/** The `WWW-Authenticate` challenges, decoded. */
	challenges: Challenge[]
	/** A short name for what went wrong, when something did. */
	cause: ProbeCause | undefined
	/** What the answer means for the token, as far as the response says. */
	explanation: string | undefined
	/** Where a 3xx pointed (the probe does not follow redirects). */
	location?: string | undefined
	/** The start of a non-2xx body, one line. */
	body?: string | undefined
}

export type ProbeCause =
	| 'stale_token'
	| 'insufficient_scope'
	| 'wrong_audience'
	| 'invalid_token'
	| 'invalid_request'
	| 'certificate_bound'
	| 'other_scheme'
	| 'no_reason'
	| 'no_challenge'
	| 'forbidden'
	| 'redirect'
	| 'not_found'
	| 'server_error'
	| 'http_error'
	| 'network'

/** What the explanation may use besides the response. */
export interface ProbeContext {
	fetch: FetchLike
	now: () => number
	jwt: DecodedJwt | undefined
	/** Mutual TLS is set up (the probe sends the client certificate). */
	mtls: boolean
	/** Per probe, in ms. */
	timeout: number
	/** Masks secrets in text quoted from a response, before it is shortened (a cut would leave a token's prefix). */
	redact: (text: string) => string
}

/** Checks a `--probe` URL before any token is requested: absolute http(s). */
export function checkProbeUrl(value: string): string {
	let url: URL
	try {
		url = new URL(value)
	} catch {
		throw new UsageError('--probe needs an absolute URL (https://api.example.com/path)')
	}
	if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new UsageError('--probe needs an http(s) URL')
	if (url.username || url.password) throw new UsageError('--probe URL must not carry credentials')
	return url.href
}

const BODY_LIMIT = 2048

/**
 * Sends one GET with the token ([RFC 6750 §2.1](https://www.rfc-editor.org/rfc/rfc6750#section-2.1)) and
 * reads what the answer says about it. Redirects are not followed: a token must not travel to another origin.
 */
export async function probe(url: string, token: Token, context: ProbeContext): Promise<ProbeResult> {
	const started = performance.now()
	let response: Response
	try {
		response = await context.fetch(url, {
			method: 'GET',
			headers: { authorization: `${token.tokenType} ${token.accessToken}`, accept: 'application/json, */*' },
			redirect: 'manual',
			signal: AbortSignal.timeout(context.timeout),
		})
	} catch (error) {
		const timeMs = Math.round(performance.now() - started)
		return { url, ok: false, status: undefined, timeMs, challenges: [], cause: 'network', explanation: `no answer: ${networkProblem(error)}` }
	}
	const timeMs = Math.round(performance.now() - started)
	const ok = response.status >= 200 && response.status < 300
	const header = response.headers.get('www-authenticate')
	const challenges = header ? parseChallenges(header) : []
	const body = ok ? await discard(response) : await snippet(response, context.redact)
	const result: ProbeResult = { url, ok, status: response.status, timeMs, challenges, cause: undefined, explanation: undefined }
	if (body) result.body = body
	if (!ok) Object.assign(result, explain(response, challenges, token, context))
	return result
}

function explain(response: Response, challenges: Challenge[], token: Token, context: ProbeContext): Pick<ProbeResult, 'cause' | 'explanation' | 'location'> {
	const { status } = response
	const bearer = challenges.find((item) => item.scheme.toLowerCase() === token.tokenType.toLowerCase()) ?? challenges.find((item) => item.scheme.toLowerCase() === 'bearer')
	const error = bearer?.params.error
	const description = bearer?.params.error_description ?? ''
	const granted = token.scope.length > 0 ? `"${token.scope.join(' ')}"` : 'no scope'
	const aud = context.jwt ? audiences(context.jwt.payload) : []
	const audNote = aud.length > 0 ? ` The token's aud is ${aud.join(', ')}.` : ''
	if (status >= 300 && status < 400) {
		const location = response.headers.get('location') ?? undefined
		return { cause: 'redirect', location, explanation: `redirected${location ? ` to ${location}` : ''}; not followed, so the token goes nowhere else.` }
	}
	if (error === 'insufficient_scope') {
		const needed = bearer?.params.scope
		return {
			cause: 'insufficient_scope',
			explanation: `insufficient_scope: the token lacks a scope this resource needs${needed ? ` (it asks for "${needed}")` : ''}; the token has ${granted}. Ask for it with --scope (RFC 6750 §3.1).`,
		}
	}
	if (error === 'invalid_token') {
		if (token.expiresAt <= context.now() || /expir|stale|\bexp\b/i.test(description)) {
			return {
				cause: 'stale_token',
				explanation: `stale token: the API says it has expired (here it is good until ${new Date(token.expiresAt).toISOString()}). If the API's clock runs ahead of the issuer's, it expires tokens early.`,
			}
		}
		if (/\baud(ience)?\b/i.test(description)) {
			return { cause: 'wrong_audience', explanation: `wrong audience: the token was issued for another API (RFC 6750 §3.1 invalid_token).${audNote}` }
		}
		return {
			cause: 'invalid_token',
			explanation: `invalid_token: the API rejects the token itself: expired, revoked, malformed, or issued for another API or audience (RFC 6750 §3.1).${audNote}`,
		}
	}
	if (error === 'invalid_request') {
		return {
			cause: 'invalid_request',
			explanation: 'invalid_request: the API finds the request malformed (RFC 6750 §3.1), for example a token sent twice or in an unexpected place.',
		}
	}
	if (status === 401 && !context.mtls && context.jwt?.payload.cnf !== undefined) {
		return { cause: 'certificate_bound', explanation: 'the token is bound to a client certificate (cnf claim, RFC 8705 §3): probe with --cert and --key.' }
	}
	if (status === 401) {
		if (challenges.length === 0)
			return { cause: 'no_challenge', explanation: '401 without a WWW-Authenticate challenge (RFC 9110 §15.5.2 requires one): the API does not say why.' }
		if (bearer === undefined) {
			return { cause: 'other_scheme', explanation: `the API asks for ${challenges.map((item) => item.scheme).join(', ')} authentication, not ${token.tokenType}.` }
		}
		return {
			cause: 'no_reason',
			explanation: `401 without an error code: the API did not recognise the token (RFC 6750 §3.1). It may be for another API or environment, or revoked.${audNote}`,
		}
	}
	if (status === 403) return { cause: 'forbidden', explanation: '403: the token was accepted, but this client or account may not do this (permissions, not authentication).' }
	if (status === 404) return { cause: 'not_found', explanation: '404: nothing at this URL; the token was not judged.' }
	if (status >= 500) return { cause: 'server_error', explanation: `${status}: the API failed; this says nothing about the token.` }
	return { cause: 'http_error', explanation: `HTTP ${status}.` }
}

/** Network and TLS failures by their code, the way Node's fetch wraps them. */
function networkProblem(error: unknown): string {
	if ((error as { name?: string }).name === 'TimeoutError') return 'timed out'
	const cause = (error as { cause?: { code?: unknown; message?: unknown } }).cause
	const code = typeof cause?.code === 'string' ? cause.code : undefined
	if (code) return code
	return typeof cause?.message === 'string' ? cause.message : error instanceof Error ? error.message : String(error)
}

async function discard(response: Response): Promise<undefined> {
	await response.body?.cancel().catch(() => {})
	return undefined
}

/** The first {@link BODY_LIMIT} bytes of the body, as one short line (the rest is not read). */
async function snippet(response: Response, redact: (text: string) => string): Promise<string | undefined> {
	const reader = response.body?.getReader()
	if (!reader) return undefined
	const chunks: Uint8Array[] = []
	let size = 0
	try {
		while (size < BODY_LIMIT) {
			const { done, value } = await reader.read()
			if (done) break
			chunks.push(value)
			size += value.byteLength
		}
	} catch {
		// A body cut short still says what it said so far.
	} finally {
		await reader.cancel().catch(() => {})
	}
	const text = redact(Buffer.concat(chunks).subarray(0, BODY_LIMIT).toString('utf8')).replace(/\s+/g, ' ').trim()
	if (text === '') return undefined
	return text.length > 160 ? `${text.slice(0, 157)}...` : text
}

import type PQueue from 'p-queue'
import { InvalidTokenResponseError, TokenEndpointError, type TokenWardenError } from './errors.js'
import { errorMessage, type Redactor, safeCause } from './redaction.js'
import type { ResolvedRetry } from './retry.js'
import { backoffDelay, parseRetryAfter } from './retry.js'
import type { BodyReadOptions } from './body-reader.js'
import { oauthErrorFrom, parseTokenResponse, readBody, type TokenResponse } from './token-response.js'
import type { RetryEvent } from './types/events.js'
import type { Clock, FetchLike } from './types/options.js'

/** Adds client authentication to one token request ([RFC 6749 §2.3](https://www.rfc-editor.org/rfc/rfc6749#section-2.3)). Called per attempt, so JWT assertions are fresh. */
export type ClientAuthenticator = (body: URLSearchParams, headers: Headers) => Promise<void> | void

export interface TokenEndpointContext {
	fetch: FetchLike
	clock: Clock
	timeout: number
	retry: ResolvedRetry
	/** Serialises attempts through the rate limit and concurrency cap shared by all keys. */
	queue: PQueue
	authenticate: ClientAuthenticator
	defaultLifetime: number
	onRetry: (event: RetryEvent) => void
	/** Masks the client's own secrets. */
	redact: Redactor
	/** Byte cap on every response body (`maxResponseBytes`). */
	maxResponseBytes: number
}

/** Outcome of one attempt: a result, or a failure and whether it may be retried. */
type Attempt =
	| { ok: true; value: TokenResponse }
	| { ok: false; error: TokenWardenError | Error; retryable: false }
	| { ok: false; error: TokenEndpointError; retryable: true; reason: RetryEvent['reason']; retryAfter?: number | undefined; status?: number }

/**
 * One token request ([RFC 6749 §4.4.2](https://www.rfc-editor.org/rfc/rfc6749#section-4.4.2), §4.1.3, §6):
 * a form-urlencoded POST with client authentication, retried on network errors, timeouts, 5xx and 429
 * with backoff (honouring `Retry-After`), never on an OAuth error.
 */
export async function requestToken(
	context: TokenEndpointContext,
	url: string,
	params: Readonly<Record<string, string>>,
	requestSecrets: readonly string[] = [],
	{ onlyUnprocessed = false }: { onlyUnprocessed?: boolean } = {},
): Promise<TokenResponse> {
	const redact = context.redact.with(requestSecrets)
	for (let attempt = 1; ; attempt++) {
		const outcome = await context.queue.add(() => attemptOnce(context, url, params, redact, attempt))
		if (outcome.ok) return outcome.value
		if (!outcome.retryable) throw outcome.error
		// A request that spends what it sends (a rotating refresh token) is retried only when the server
		// cannot have acted on it: after a timeout or a dropped connection it may have rotated the token.
		if (onlyUnprocessed && !unprocessed(outcome)) throw outcome.error
		if (attempt > context.retry.limit) throw outcome.error
		let delay = backoffDelay(attempt, context.retry)
		if (outcome.retryAfter !== undefined) {
			if (outcome.retryAfter > context.retry.maxRetryAfter) {
				throw new TokenEndpointError(
					`Token endpoint asked to retry after ${Math.ceil(outcome.retryAfter / 1000)} s, longer than maxRetryAfter (${context.retry.maxRetryAfter} ms)`,
					{ status: outcome.status, attempts: attempt, retryAfter: outcome.retryAfter },
				)
			}
			delay = outcome.retryAfter
		}
		context.onRetry({ type: 'retry', attempt, delay, status: outcome.status, reason: outcome.reason })
		await sleep(context.clock, delay)
	}
}

async function attemptOnce(context: TokenEndpointContext, url: string, params: Readonly<Record<string, string>>, requestRedact: Redactor, attempt: number): Promise<Attempt> {
	const body = new URLSearchParams(params)
	const headers = new Headers({ accept: 'application/json', 'content-type': 'application/x-www-form-urlencoded' })
	try {
		await context.authenticate(body, headers)
	} catch (error) {
		return { ok: false, error: error as Error, retryable: false }
	}
	// What this attempt's authentication added (a fresh client assertion, the Basic credentials) is as
	// secret as the rest: mask it too wherever the server quotes the request back.
	const sent = [body.get('client_assertion') ?? '', headers.get('authorization')?.replace(/^\S+\s+/, '') ?? '']
	const redact = requestRedact.with(sent)
	const controller = new AbortController()
	const timer = context.clock.setTimeout(() => controller.abort(), context.timeout)
	let response: Response
	try {
		response = await context.fetch(url, {
			method: 'POST',
			headers,
			body,
			signal: controller.signal,
			redirect: 'manual',
		})
	} catch (error) {
		context.clock.clearTimeout(timer)
		const timedOut = controller.signal.aborted
		const tlsCode = tlsFailure(error)
		if (tlsCode !== undefined) {
			// A refused or unverifiable certificate will not get better by retrying.
			return {
				ok: false,
				retryable: false,
				error: new TokenEndpointError(`TLS handshake with the token endpoint failed (${tlsCode}): check the client certificate, key and CA`, {
					attempts: attempt,
					cause: safeCause(error, redact),
				}),
			}
		}
		const message = timedOut ? `Token request timed out after ${context.timeout} ms` : `Token request failed: ${redact.mask(errorMessage(error))}`
		return {
			ok: false,
			retryable: true,
			reason: timedOut ? 'timeout' : 'network',
			error: new TokenEndpointError(message, { attempts: attempt, cause: timedOut ? undefined : safeCause(error, redact) }),
		}
	}
	try {
		const receivedAt = context.clock.now()
		if (response.status === 429 || response.status >= 500) {
			await response.body?.cancel().catch(() => {})
			return {
				ok: false,
				retryable: true,
				reason: 'status',
				status: response.status,
				retryAfter: parseRetryAfter(response.headers.get('retry-after'), receivedAt),
				error: new TokenEndpointError(`Token endpoint answered HTTP ${response.status}`, { status: response.status, attempts: attempt }),
			}
		}
		const reading = { redact, attempt, maxBytes: context.maxResponseBytes }
		if (response.status < 200 || response.status >= 300) return { ok: false, retryable: false, error: await failure(response, reading) }
		const json = await readBody(response, reading)
		return {
			ok: true,
			value: parseTokenResponse(json, response, { receivedAt, defaultLifetime: context.defaultLifetime, redact }),
		}
	} catch (error) {
		if (controller.signal.aborted && !(error instanceof InvalidTokenResponseError)) {
			return {
				ok: false,
				retryable: true,
				reason: 'timeout',
				error: new TokenEndpointError(`Token request timed out after ${context.timeout} ms`, { attempts: attempt }),
			}
		}
		// The body broke off after the status line: retried like a dropped connection, except for a
		// request that spends what it sends (see `unprocessed`), since the server has acted on it.
		if (error instanceof TokenEndpointError && error.serverMayHaveActed) return { ok: false, retryable: true, reason: 'network', error }
		return { ok: false, retryable: false, error: error as Error }
	} finally {
		context.clock.clearTimeout(timer)
	}
}

/** A 3xx or 4xx: an OAuth error when the body is one, else an HTTP failure. */
async function failure(response: Response, reading: BodyReadOptions): Promise<Error> {
	const { redact, attempt } = reading
	let body: Record<string, unknown> | undefined
	let cause: unknown
	try {
		body = await readBody(response, reading)
	} catch (error) {
		// Too large or unreadable: that error says so itself.
		if (error instanceof TokenEndpointError) return error
		cause = error
	}
	const oauthError = body && oauthErrorFrom(body, response.status, redact)
	if (oauthError) return oauthError
	const what = response.status >= 300 && response.status < 400 ? 'a redirect, which is not followed' : 'no OAuth error body'
	return new TokenEndpointError(`Token endpoint answered HTTP ${response.status} with ${what}`, {
		status: response.status,
		attempts: attempt,
		cause,
	})
}

/** Failures after which the server has certainly not processed the request. */
function unprocessed(outcome: Extract<Attempt, { retryable: true }>): boolean {
	if (outcome.error.serverMayHaveActed) return false
	if (outcome.reason === 'status') return outcome.status === 429 || outcome.status === 503
	if (outcome.reason !== 'network') return false
	const code = (outcome.error.cause as { code?: unknown } | undefined)?.code
	return code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EAI_AGAIN'
}

function sleep(clock: Clock, ms: number): Promise<void> {
	return new Promise((resolve) => clock.setTimeout(resolve, ms))
}

const TLS_CODES = /^(ERR_SSL_|ERR_TLS_|CERT_|UNABLE_TO_(GET|VERIFY)_|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|ERR_OSSL_)/

/** The TLS error code behind a failed fetch, if that is what it was. */
function tlsFailure(error: unknown): string | undefined {
	for (let current = error as { code?: unknown; cause?: unknown } | undefined, depth = 0; current && depth < 4; current = current.cause as typeof current, depth++) {
		if (typeof current.code === 'string' && TLS_CODES.test(current.code)) return current.code
	}
	return undefined
}

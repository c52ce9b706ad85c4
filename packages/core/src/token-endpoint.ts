import type PQueue from 'p-queue'
import { AbortError, type ErrorContext, InvalidTokenResponseError, TokenEndpointError, TokenWardenError, withContext } from './errors.js'
import type { Emit } from './events.js'
import type { GrantRequest } from './grants.js'
import type { KeyBackoff } from './key-backoff.js'
import type { RateBudget } from './rate-limit.js'
import type { ResolvedRetry } from './retry.js'
import { backoffDelay, parseRetryAfter } from './retry.js'
import type { BodyReadOptions } from './body-reader.js'
import { errorMessage, type Redactor, safeCause } from './redaction.js'
import { oauthErrorFrom, parseTokenResponse, readBody, type TokenResponse } from './token-response.js'
import type { RetryEvent, TokenErrorEvent } from './types/events.js'
import type { Clock, FetchLike } from './types/options.js'

/** Adds client authentication to one token request ([RFC 6749 §2.3](https://www.rfc-editor.org/rfc/rfc6749#section-2.3)). Called per attempt, so JWT assertions are fresh. */
export type ClientAuthenticator = (body: URLSearchParams, headers: Headers) => Promise<void> | void

export interface TokenEndpointContext {
	fetch: FetchLike
	clock: Clock
	timeout: number
	retry: ResolvedRetry
	/** Caps token requests in flight across all keys. */
	queue: PQueue
	/** The `rateLimit` budget shared by all keys, when there is one. */
	budget: RateBudget | undefined
	/** Spaces the attempts of one key across flights while its requests fail (an outage). */
	backoff: KeyBackoff
	authenticate: ClientAuthenticator
	defaultLifetime: number
	/** Reports `retry` and `rate-limited` events. */
	emit: Emit
	/** Masks the client's own secrets. */
	redact: Redactor
	/** Byte cap on every response body (`maxResponseBytes`). */
	maxResponseBytes: number
	/** Put on every error, so a user can tell which credential set failed. */
	errorContext: ErrorContext
}

/** Per request: the cache key it is for (events), and a signal that cancels it when nobody waits any more. */
export interface RequestOptions {
	key: string
	/** Cancels the request between attempts (a retry sleep, a wait for the budget or a concurrency slot); an attempt on the wire is never cut short. */
	signal?: AbortSignal | undefined
}

/** Outcome of one attempt: a result, or a failure and whether it may be retried. */
type Attempt =
	| { ok: true; value: TokenResponse }
	| { ok: false; error: TokenWardenError | Error; retryable: false }
	| { ok: false; error: TokenEndpointError; retryable: true; reason: RetryEvent['reason']; retryAfter?: number | undefined; status?: number }

/** Attempts made by the request that threw an error (see {@link attemptsOf}). */
const attemptsMade = new WeakMap<object, number>()

/** How many attempts the token request that failed with `error` made (0 when it made none, or the error did not come from one). */
export function attemptsOf(error: unknown): number {
	return typeof error === 'object' && error !== null ? (attemptsMade.get(error) ?? 0) : 0
}

/**
 * One token request ([RFC 6749 §4.4.2](https://www.rfc-editor.org/rfc/rfc6749#section-4.4.2), §4.1.3, §6):
 * a form-urlencoded POST with client authentication, retried on network errors, timeouts, 5xx and 429
 * with backoff (honouring `Retry-After`), never on an OAuth error.
 *
 * The retry rule comes from the grant: a repeatable request is retried after any transient failure; one
 * that spends what it sends (see {@link GrantRequest.repeatable}) only when the server cannot have acted
 * on it (connection refused, 429, 503).
 */
export async function requestToken(context: TokenEndpointContext, url: string, grant: GrantRequest, options: RequestOptions): Promise<TokenResponse> {
	let attempt = 0
	try {
		return await attemptAll(context, url, grant, options, () => ++attempt)
	} catch (error) {
		const failure = withContext(error, context.errorContext)
		if (typeof failure === 'object' && failure !== null && !attemptsMade.has(failure)) attemptsMade.set(failure, attempt)
		throw failure
	}
}

async function attemptAll(context: TokenEndpointContext, url: string, grant: GrantRequest, options: RequestOptions, next: () => number): Promise<TokenResponse> {
	const redact = context.redact.with(grant.secrets)
	const { signal } = options
	for (;;) {
		if (signal?.aborted) throw new AbortError(signal.reason)
		// One attempt per backoff step per key, whoever asks (issue 18): wait out the key's step first.
		const wait = context.backoff.waitOf(options.key, context.clock.now())
		if (wait > 0) await sleep(context.clock, wait, signal)
		const queuedAt = context.clock.now()
		let attempt = 0
		const outcome = await context.queue
			.add(
				async () => {
					if (context.budget) {
						// The wait for the budget and for a concurrency slot together stay within one timeout.
						const maxWait = Math.max(0, context.timeout - (context.clock.now() - queuedAt))
						await context.budget.take(maxWait, signal, (waitMs) => context.emit({ type: 'rate-limited', key: options.key, waitMs }))
					}
					attempt = next()
					return attemptOnce(context, url, grant.params, redact, attempt)
				},
				signal ? { signal } : {},
			)
			.catch((error: unknown) => {
				if (signal?.aborted && !(error instanceof AbortError)) throw new AbortError(signal.reason)
				throw error
			})
		if (outcome.ok || !outcome.retryable) {
			context.backoff.succeeded(options.key)
			if (outcome.ok) return outcome.value
			throw outcome.error
		}
		// The key's step across flights, which the retry below waits for too.
		const step = context.backoff.failed(options.key, context.clock.now())
		if (!grant.repeatable && !unprocessed(outcome)) throw outcome.error
		if (attempt > context.retry.limit) throw outcome.error
		let delay = Math.max(step, backoffDelay(attempt, context.retry))
		if (outcome.retryAfter !== undefined) {
			if (outcome.retryAfter > context.retry.maxRetryAfter) {
				throw new TokenEndpointError(
					`Token endpoint asked to retry after ${Math.ceil(outcome.retryAfter / 1000)} s, longer than maxRetryAfter (${context.retry.maxRetryAfter} ms)`,
					{ status: outcome.status, attempts: attempt, retryAfter: outcome.retryAfter },
				)
			}
			delay = Math.max(step, outcome.retryAfter)
		}
		context.emit({ type: 'retry', attempt, delay, status: outcome.status, reason: outcome.reason })
		await sleep(context.clock, delay, signal)
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

/** Waits between attempts; cancelled by the signal, so a request nobody waits for any more does not keep a process alive. */
function sleep(clock: Clock, ms: number, signal: AbortSignal | undefined): Promise<void> {
	if (!signal) return new Promise((resolve) => clock.setTimeout(resolve, ms))
	return new Promise((resolve, reject) => {
		const onAbort = () => {
			clock.clearTimeout(timer)
			reject(new AbortError(signal.reason))
		}
		const timer = clock.setTimeout(() => {
			signal.removeEventListener('abort', onAbort)
			resolve()
		}, ms)
		signal.addEventListener('abort', onAbort, { once: true })
	})
}

const TLS_CODES = /^(ERR_SSL_|ERR_TLS_|CERT_|UNABLE_TO_(GET|VERIFY)_|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|ERR_OSSL_)/

/** The TLS error code behind a failed fetch, if that is what it was. */
function tlsFailure(error: unknown): string | undefined {
	for (let current = error as { code?: unknown; cause?: unknown } | undefined, depth = 0; current && depth < 4; current = current.cause as typeof current, depth++) {
		if (typeof current.code === 'string' && TLS_CODES.test(current.code)) return current.code
	}
	return undefined
}

/** The `token-error` event of a token request callers waited for and that failed. */
export function tokenErrorEvent(key: string, grantType: string, subject: string | undefined, error: unknown): TokenErrorEvent {
	const status = (error as { status?: unknown } | null)?.status
	return {
		type: 'token-error',
		key,
		grantType,
		code: error instanceof TokenWardenError ? error.code : 'UNKNOWN',
		status: typeof status === 'number' ? status : undefined,
		attempts: attemptsOf(error),
		subject,
	}
}

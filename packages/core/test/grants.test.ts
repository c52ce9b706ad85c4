import PQueue from 'p-queue'
import { KeyBackoff } from '../src/key-backoff.ts'
import { describe, expect, it } from 'vitest'
import { AbortError, RateLimitedError, TokenEndpointError } from '@tokenwarden/core'
import { authorizationCodeGrant, clientCredentialsGrant, type GrantRequest, refreshTokenGrant } from '../src/grants.ts'
import { RateBudget } from '../src/rate-limit.ts'
import { createRedactor } from '../src/redaction.ts'
import { systemClock } from '../src/resolve-options.ts'
import { SingleFlight } from '../src/single-flight.ts'
import { attemptsOf, requestToken, type TokenEndpointContext } from '../src/token-endpoint.ts'
import type { Clock, FetchLike } from '../src/types/options.ts'

describe('grant request builders', () => {
	it('client_credentials: scope when there is one, nothing secret, repeatable', () => {
		expect(clientCredentialsGrant(['a', 'b'], { audience: 'api' })).toEqual({
			grantType: 'client_credentials',
			params: { audience: 'api', grant_type: 'client_credentials', scope: 'a b' },
			secrets: [],
			repeatable: true,
		})
		expect(clientCredentialsGrant([], undefined).params).toEqual({ grant_type: 'client_credentials' })
	})

	it('refresh_token: the refresh token is secret, and the request spends it (not repeatable)', () => {
		expect(refreshTokenGrant('rt-1', ['a'], { grant_type: 'ignored' })).toEqual({
			grantType: 'refresh_token',
			params: { grant_type: 'refresh_token', refresh_token: 'rt-1', scope: 'a' },
			secrets: ['rt-1'],
			repeatable: false,
		})
	})

	it('authorization_code: code and verifier are secret, a code is single use', () => {
		expect(authorizationCodeGrant('code-1', 'https://app/cb', 'verifier-1', undefined)).toEqual({
			grantType: 'authorization_code',
			params: { grant_type: 'authorization_code', code: 'code-1', redirect_uri: 'https://app/cb', code_verifier: 'verifier-1' },
			secrets: ['code-1', 'verifier-1'],
			repeatable: false,
		})
		expect(authorizationCodeGrant('code-1', 'https://app/cb', undefined, undefined).secrets).toEqual(['code-1'])
	})
})

/** A clock whose short timers (retry delays) run at once and whose long ones (the attempt timeout) never do. */
const instantClock: Clock = { now: () => Date.now(), setTimeout: (callback, ms) => (ms < 1_000 && queueMicrotask(callback), 0), clearTimeout: () => {} }

function endpoint(fetch: FetchLike, clock: Clock = instantClock): TokenEndpointContext {
	return {
		fetch,
		clock,
		timeout: 1_000,
		retry: { limit: 2, delay: 1, maxDelay: 1, maxRetryAfter: 60_000 },
		queue: new PQueue({ concurrency: 4 }),
		budget: undefined,
		backoff: new KeyBackoff({ limit: 2, delay: 1, maxDelay: 1, maxRetryAfter: 60_000 }, () => 0.5),
		authenticate: () => {},
		defaultLifetime: 300_000,
		emit: () => {},
		redact: createRedactor([]),
		maxResponseBytes: 65_536,
		errorContext: { tokenUrl: 'https://auth.example.com/token', clientId: 'client-1', clientAuth: 'client_secret_basic' },
	}
}

const ok = () => new Response(JSON.stringify({ access_token: 'at', token_type: 'Bearer', expires_in: 60 }), { headers: { 'content-type': 'application/json' } })

/** Fails the first `failures` calls with `failure`, then answers with a token. */
function failing(failures: number, failure: () => Response | Promise<never>) {
	let calls = 0
	const fetch: FetchLike = async () => (++calls <= failures ? failure() : ok())
	return { fetch, calls: () => calls }
}

const connectionReset = () => Promise.reject(Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }) }))
const connectionRefused = () => Promise.reject(Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error('connect'), { code: 'ECONNREFUSED' }) }))
/** A 2xx whose body breaks off: the body reader reports that the server may have acted. */
const bodyLost = () =>
	new Response(
		new ReadableStream({
			start(controller) {
				controller.enqueue(new TextEncoder().encode('{"access_token":'))
				controller.error(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }))
			},
		}),
		{ headers: { 'content-type': 'application/json' } },
	)

describe('the token endpoint derives its retry rule from the grant', () => {
	const repeatable = clientCredentialsGrant([], undefined)
	const spending: GrantRequest = refreshTokenGrant('rt-1', [], undefined)

	it.each([
		['a connection lost after sending', connectionReset],
		['a body that could not be read', bodyLost],
		['HTTP 500', () => new Response('', { status: 500 })],
	])('%s: a repeatable grant is retried, one that spends what it sends is not', async (_label, failure) => {
		const again = failing(1, failure)
		await expect(requestToken(endpoint(again.fetch), 'https://auth.example.com/token', repeatable, { key: 'k' })).resolves.toMatchObject({ accessToken: 'at' })
		expect(again.calls()).toBe(2)
		const once = failing(1, failure)
		const error = await requestToken(endpoint(once.fetch), 'https://auth.example.com/token', spending, { key: 'k' }).catch((caught: unknown) => caught)
		expect(error).toBeInstanceOf(TokenEndpointError)
		expect(attemptsOf(error)).toBe(1)
		expect(once.calls()).toBe(1)
	})

	it.each([
		['a refused connection', connectionRefused],
		['HTTP 503', () => new Response('', { status: 503 })],
		['HTTP 429', () => new Response('', { status: 429 })],
	])('%s (the server cannot have acted on it): every grant is retried', async (_label, failure) => {
		const again = failing(1, failure)
		await expect(requestToken(endpoint(again.fetch), 'https://auth.example.com/token', spending, { key: 'k' })).resolves.toMatchObject({ accessToken: 'at' })
		expect(again.calls()).toBe(2)
	})

	it('puts the credential set on every error, never a secret', async () => {
		const error = await requestToken(endpoint(failing(9, () => new Response('', { status: 500 })).fetch), 'https://auth.example.com/token', repeatable, { key: 'k' }).catch(
			(caught: unknown) => caught,
		)
		expect(error).toMatchObject({ context: { tokenUrl: 'https://auth.example.com/token', clientId: 'client-1', clientAuth: 'client_secret_basic' } })
		expect(attemptsOf(error)).toBe(3)
		expect(JSON.stringify(error)).toContain('client-1')
	})

	it('a cancelled request stops between attempts', async () => {
		const controller = new AbortController()
		let calls = 0
		const fetch: FetchLike = async () => {
			calls++
			controller.abort()
			return new Response('', { status: 503 })
		}
		await expect(requestToken(endpoint(fetch, systemClock), 'https://auth.example.com/token', repeatable, { key: 'k', signal: controller.signal })).rejects.toBeInstanceOf(
			AbortError,
		)
		expect(calls).toBe(1)
	})
})

describe('RateBudget', () => {
	function fakeClock(start: number) {
		const clock = {
			time: start,
			now: () => clock.time,
			setTimeout: (callback: () => void, ms: number) => setTimeout(callback, ms),
			clearTimeout: (h: unknown) => clearTimeout(h as never),
		}
		return clock
	}

	it('grants starts in a sliding window and fails at once past the longest wait, saying when it frees up', async () => {
		const clock = fakeClock(0)
		const budget = new RateBudget(2, 60_000, clock)
		const waits: number[] = []
		await budget.take(10_000, undefined, (ms) => waits.push(ms))
		clock.time = 5_000
		await budget.take(10_000, undefined, (ms) => waits.push(ms))
		const error = await budget.take(10_000, undefined, (ms) => waits.push(ms)).catch((caught: unknown) => caught)
		expect(error).toBeInstanceOf(RateLimitedError)
		expect(error).toMatchObject({ code: 'RATE_LIMITED', retryAt: 60_000, retryAfter: 55_000 })
		expect((error as Error).message).toMatch(/frees up in 55 s/)
		expect(waits).toEqual([55_000])
		clock.time = 59_990
		await budget.take(10_000, undefined, () => {}) // waits 10 ms
	})

	it('a waiter that aborts gives its start back', async () => {
		const clock = fakeClock(0)
		const budget = new RateBudget(1, 50, clock)
		await budget.take(1_000, undefined, () => {})
		const controller = new AbortController()
		const waiting = budget.take(1_000, controller.signal, () => {})
		controller.abort()
		await expect(waiting).rejects.toBeInstanceOf(AbortError)
	})
})

describe('SingleFlight', () => {
	it('cancels the task when every waiter aborted, not while one without a signal waits', async () => {
		const flights = new SingleFlight<string>()
		let signal: AbortSignal | undefined
		const never = new Promise<string>(() => {})
		const a = new AbortController()
		const b = new AbortController()
		const first = flights.run('k', (state) => ((signal = state.signal), never), { signal: a.signal })
		const second = flights.run('k', () => never, { signal: b.signal })
		a.abort()
		await expect(first).rejects.toBeInstanceOf(AbortError)
		expect(signal?.aborted).toBe(false)
		b.abort()
		await expect(second).rejects.toBeInstanceOf(AbortError)
		expect(signal?.aborted).toBe(true)

		let pinnedSignal: AbortSignal | undefined
		const c = new AbortController()
		void flights.run('p', (state) => ((pinnedSignal = state.signal), never), { background: true })
		const joined = flights.run('p', () => never, { signal: c.signal })
		c.abort()
		await expect(joined).rejects.toBeInstanceOf(AbortError)
		expect(pinnedSignal?.aborted).toBe(false)
	})
})

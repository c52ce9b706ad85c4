import nock from 'nock'
import { afterEach, beforeEach, vi } from 'vitest'
import { type ClientSecretOptions, createTokenManager, type TokenManagerOptions, type TokenWardenEvent } from '@tokenwarden/core'

export const ISSUER = 'https://auth.example.com'
export const TOKEN_PATH = '/oauth/token'
export const TOKEN_URL = `${ISSUER}${TOKEN_PATH}`
export const CLIENT_ID = 'client-1'
/** Has characters that form-urlencoding changes, to check RFC 6749 §2.3.1 encoding. */
export const CLIENT_SECRET = 's3cr3t:with+special&chars é'

/** An unsigned-looking JWT: the manager decodes it for timing only. */
export function jwt(claims: Record<string, unknown>): string {
	const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url')
	return `${encode({ alg: 'RS256', typ: 'JWT' })}.${encode(claims)}.c2lnbmF0dXJl`
}

export function body(form: string): Record<string, string> {
	return Object.fromEntries(new URLSearchParams(form))
}

/** A manager with test defaults and every event collected. */
export function setup(overrides: Partial<ClientSecretOptions> | Partial<TokenManagerOptions> | Record<string, unknown> = {}) {
	const events: TokenWardenEvent[] = []
	const tokens = createTokenManager({
		tokenUrl: TOKEN_URL,
		clientId: CLIENT_ID,
		clientSecret: CLIENT_SECRET,
		retry: { limit: 2, delay: 10, maxDelay: 50 },
		onEvent: (event) => events.push(event),
		...overrides,
	} as TokenManagerOptions)
	return { tokens, events }
}

/** What a token endpoint saw of one request. */
export interface SeenRequest {
	headers: Headers
	form: Record<string, string>
}

type Reply = readonly [number] | readonly [number, unknown] | readonly [number, unknown, Record<string, string>]

/**
 * A nock reply function (nock 15 passes the fetch `Request`) that records each request.
 * `answer` gets the request and its 1-based number.
 */
export function recorder(answer: (seen: SeenRequest, count: number) => Reply = (_seen, count) => [200, opaque(count)]) {
	const seen: SeenRequest[] = []
	const reply = async (request: Request) => {
		const entry = { headers: request.headers, form: body(await request.text()) }
		seen.push(entry)
		return answer(entry, seen.length)
	}
	return { reply, seen, count: () => seen.length }
}

export function opaque(count: number, expiresIn: unknown = 3600, extra: Record<string, unknown> = {}) {
	return { access_token: `at-${count}`, token_type: 'Bearer', expires_in: expiresIn, ...extra }
}

/** Replies with a fresh opaque token each call, numbered. */
export function tokenReplies(expiresIn: unknown = 3600, extra: Record<string, unknown> = {}) {
	return recorder((_seen, count) => [200, opaque(count, expiresIn, extra)])
}

/** Fake Date and timeouts for every test of a file, starting at `start`; setImmediate stays real, so I/O still runs. */
export function useFakeTime(start: number): void {
	beforeEach(() => {
		vi.useFakeTimers({ toFake: ['Date', 'setTimeout', 'clearTimeout'] })
		vi.setSystemTime(start)
	})
	afterEach(() => {
		vi.useRealTimers()
	})
}

/** nock for every test file: no real network except loopback, nothing left over. */
export function useNock(): void {
	beforeEach(() => {
		nock.disableNetConnect()
		nock.enableNetConnect(/127\.0\.0\.1|localhost/)
	})
	afterEach(() => {
		nock.cleanAll()
		nock.enableNetConnect()
	})
}

/** Lets pending I/O and promise callbacks run (setImmediate is never faked in these tests). */
export async function flush(times = 5): Promise<void> {
	for (let i = 0; i < times; i++) await new Promise((resolve) => setImmediate(resolve))
}

/** A reply that answers only after `ms` of real time: stands in for a slow server (nock's own delay misbehaves with aborts). */
export function slowly(ms: number, reply: Reply | ((request: Request) => Reply | Promise<Reply>)) {
	return async (request: Request): Promise<Reply> => {
		await new Promise((resolve) => globalThis.setTimeout(resolve, ms))
		return typeof reply === 'function' ? reply(request) : reply
	}
}

export function networkError(code = 'ECONNRESET'): Error {
	return Object.assign(new Error('socket hang up'), { code })
}

/** Waits (on real I/O turns, not timers) until the condition holds. */
export async function until(condition: () => boolean, turns = 200): Promise<void> {
	for (let i = 0; i < turns; i++) {
		if (condition()) return
		await flush(1)
	}
	throw new Error('condition not met')
}

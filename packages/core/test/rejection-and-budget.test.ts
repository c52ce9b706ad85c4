import nock from 'nock'
import { describe, expect, it, vi } from 'vitest'
import { AbortError, type Logger, OAuthError, RateLimitedError, type Token, type TokenManager } from '@tokenwarden/core'
import { CLIENT_ID, CLIENT_SECRET, flush, ISSUER, networkError, setup, TOKEN_PATH, TOKEN_URL, tokenReplies, until, useFakeTime, useNock } from './helpers.ts'

useNock()
const T0 = Date.parse('2026-03-01T12:00:00Z')
useFakeTime(T0)

/**
 * What the adapters' 401 policy does against an API that rejects every token: send, and on a 401
 * invalidate the token sent and ask again; retry only with a different token, and after the retry's 401
 * invalidate that one too.
 */
async function callRejectingApi(tokens: TokenManager, scope?: string): Promise<void> {
	const sent = await tokens.getToken(scope === undefined ? undefined : { scope })
	await tokens.invalidate(sent)
	const fresh = await tokens.getToken(scope === undefined ? undefined : { scope })
	if (fresh.accessToken === sent.accessToken) return
	await tokens.invalidate(fresh)
}

/** Runs fake timers and real I/O turns in alternation (retries with backoff against nock) until the condition holds. */
async function settleUntil(condition: () => boolean): Promise<void> {
	for (let i = 0; i < 500 && !condition(); i++) {
		await flush(1)
		await vi.advanceTimersByTimeAsync(10)
	}
}

describe('a rejected token never storms the token endpoint (rejection cooldown)', () => {
	it('100 concurrent calls to an API that rejects every token: at most 2 token requests', async () => {
		const replies = tokenReplies()
		nock(ISSUER).post(TOKEN_PATH).times(100).reply(replies.reply)
		const { tokens } = setup()
		await Promise.all(Array.from({ length: 100 }, () => callRejectingApi(tokens)))
		expect(replies.count()).toBeLessThanOrEqual(2)
	})

	it('1,000 sequential calls over one minute: at most 6 token requests, and other keys are unaffected', async () => {
		const replies = tokenReplies()
		nock(ISSUER).post(TOKEN_PATH).times(100).reply(replies.reply)
		const { tokens } = setup()
		for (let i = 0; i < 1_000; i++) {
			await callRejectingApi(tokens)
			vi.setSystemTime(T0 + (i + 1) * 60)
		}
		expect(replies.count()).toBeLessThanOrEqual(6)
		// Another key of the same manager: its first rejected token is dropped and replaced at once.
		const before = replies.count()
		const other = await tokens.getToken({ scope: 'other' })
		expect(await tokens.invalidate(other)).toBe(true)
		expect((await tokens.getToken({ scope: 'other' })).accessToken).not.toBe(other.accessToken)
		expect(replies.count()).toBe(before + 2)
	})

	it('keeps the replacement of an invalidated token for 5 s, doubling, and drops it once the cooldown has passed', async () => {
		const replies = tokenReplies()
		nock(ISSUER).post(TOKEN_PATH).times(10).reply(replies.reply)
		const { tokens, events } = setup()
		const first = await tokens.getToken()
		expect(await tokens.invalidate(first)).toBe(true)
		const second = await tokens.getToken()
		expect(await tokens.invalidate(second)).toBe(false)
		expect(await tokens.getToken()).toBe(second)
		vi.setSystemTime(T0 + 4_999)
		expect(await tokens.invalidate(second)).toBe(false)
		vi.setSystemTime(T0 + 5_000)
		expect(await tokens.invalidate(second)).toBe(true)
		const third = await tokens.getToken()
		vi.setSystemTime(T0 + 5_000 + 9_999)
		expect(await tokens.invalidate(third)).toBe(false)
		vi.setSystemTime(T0 + 15_000)
		expect(await tokens.invalidate(third)).toBe(true)
		expect(events.filter((event) => event.type === 'invalidate')).toHaveLength(3)
	})

	it('starts over when a token is obtained by normal expiry refresh', async () => {
		const replies = tokenReplies(60)
		nock(ISSUER).post(TOKEN_PATH).times(10).reply(replies.reply)
		const { tokens } = setup({ refreshAhead: 0, expiryMargin: 0 })
		await tokens.invalidate(await tokens.getToken())
		const replacement = await tokens.getToken()
		expect(await tokens.invalidate(replacement)).toBe(false)
		vi.setSystemTime(T0 + 61_000)
		const renewed = await tokens.getToken()
		expect(renewed.accessToken).not.toBe(replacement.accessToken)
		expect(await tokens.invalidate(renewed)).toBe(true)
	})
})

describe('the rateLimit budget fails fast and out loud', () => {
	it('a request held back longer than the timeout fails with RATE_LIMITED, saying when the budget frees up, after a rate-limited event', async () => {
		const replies = tokenReplies()
		nock(ISSUER).post(TOKEN_PATH).times(5).reply(replies.reply)
		const { tokens, events } = setup({ rateLimit: { limit: 1, interval: 60_000 }, timeout: 5_000 })
		await tokens.getToken({ scope: 'a' })
		const error = await tokens.getToken({ scope: 'b' }).catch((caught: unknown) => caught)
		expect(error).toBeInstanceOf(RateLimitedError)
		expect(error).toMatchObject({ code: 'RATE_LIMITED', retryAt: T0 + 60_000, context: { tokenUrl: TOKEN_URL, clientId: CLIENT_ID } })
		expect((error as Error).message).toMatch(/frees up in 60 s/)
		expect(events).toContainEqual({ type: 'rate-limited', key: expect.stringContaining('b'), waitMs: 60_000 })
		expect(events.find((event) => event.type === 'token-error')).toMatchObject({ code: 'RATE_LIMITED', attempts: 0, grantType: 'client_credentials' })
		expect(replies.count()).toBe(1)
	})

	it('a request the budget frees up for within the timeout waits for it', async () => {
		const replies = tokenReplies()
		nock(ISSUER).post(TOKEN_PATH).times(5).reply(replies.reply)
		const { tokens, events } = setup({ rateLimit: { limit: 1, interval: 4_000 }, timeout: 5_000 })
		await tokens.getToken({ scope: 'a' })
		const waiting = tokens.getToken({ scope: 'b' })
		await until(() => events.some((event) => event.type === 'rate-limited'))
		expect(replies.count()).toBe(1)
		await vi.advanceTimersByTimeAsync(4_000)
		expect((await waiting).accessToken).toBe('at-2')
	})

	it("the caller's signal ends its wait first", async () => {
		nock(ISSUER).post(TOKEN_PATH).times(5).reply(tokenReplies().reply)
		const { tokens, events } = setup({ rateLimit: { limit: 1, interval: 4_000 }, timeout: 5_000 })
		await tokens.getToken({ scope: 'a' })
		const controller = new AbortController()
		const waiting = tokens.getToken({ scope: 'b', signal: controller.signal })
		await until(() => events.some((event) => event.type === 'rate-limited'))
		controller.abort()
		await expect(waiting).rejects.toBeInstanceOf(AbortError)
	})
})

describe('token-error events and error context', () => {
	it('a foreground failure emits token-error with the code, status and attempts; the error names the credential set', async () => {
		nock(ISSUER).post(TOKEN_PATH).reply(401, { error: 'invalid_client' })
		const { tokens, events } = setup()
		const error = await tokens.getToken().catch((caught: unknown) => caught)
		expect(error).toBeInstanceOf(OAuthError)
		expect((error as OAuthError).context).toEqual({ tokenUrl: TOKEN_URL, clientId: CLIENT_ID, clientAuth: 'client_secret_basic' })
		expect(events.filter((event) => event.type === 'token-error')).toEqual([
			{ type: 'token-error', key: expect.any(String), grantType: 'client_credentials', code: 'OAUTH_ERROR', status: 401, attempts: 1, subject: undefined },
		])
		expect(JSON.stringify(error)).not.toContain(CLIENT_SECRET)
	})

	it('a background refresh failure is a refresh-error, not a token-error', async () => {
		nock(ISSUER).post(TOKEN_PATH).reply(200, { access_token: 'at-1', token_type: 'Bearer', expires_in: 120 })
		nock(ISSUER).post(TOKEN_PATH).times(3).replyWithError(networkError())
		const { tokens, events } = setup()
		await tokens.getToken()
		vi.setSystemTime(T0 + 61_000)
		expect((await tokens.getToken()).accessToken).toBe('at-1')
		await settleUntil(() => events.some((event) => event.type === 'refresh-error'))
		expect(events.filter((event) => event.type === 'refresh-error')).toHaveLength(1)
		expect(events.some((event) => event.type === 'token-error')).toBe(false)
	})
})

describe('a throwing logger or onEvent', () => {
	const throwing: Logger = {
		debug: () => {
			throw new Error('debug broke')
		},
		info: () => {
			throw new Error('info broke')
		},
		warn: () => {
			throw new Error('warn broke')
		},
		error: () => {
			throw new Error('error broke')
		},
	}

	it('never fails a getToken that succeeded, nor turns a failed background refresh into an unhandled rejection', async () => {
		const warned: string[] = []
		const { tokens } = setup({
			tokenUrl: `http://auth.example.com${TOKEN_PATH}`,
			logger: throwing,
			onEvent: (event) => {
				warned.push(event.type)
				throw new Error('listener broke')
			},
		})
		nock('http://auth.example.com').post(TOKEN_PATH).reply(200, { access_token: 'at-1', token_type: 'Bearer', expires_in: 120 })
		nock('http://auth.example.com').post(TOKEN_PATH).times(3).replyWithError(networkError())
		const token: Token = await tokens.getToken()
		expect(token.accessToken).toBe('at-1')
		vi.setSystemTime(T0 + 61_000)
		expect((await tokens.getToken()).accessToken).toBe('at-1')
		await settleUntil(() => warned.includes('refresh-error'))
		await flush()
		expect(warned).toContain('refresh-error')
	})
})

describe('an async logger or onEvent that rejects', () => {
	it('is caught like a throwing one: no unhandled rejection, the call still succeeds, the listener failure is logged', async () => {
		const unhandled: unknown[] = []
		const onUnhandled = (reason: unknown) => unhandled.push(reason)
		process.on('unhandledRejection', onUnhandled)
		try {
			const errors: string[] = []
			const asyncLogger = {
				debug: async () => Promise.reject(new Error('debug broke')),
				info: async () => Promise.reject(new Error('info broke')),
				warn: async () => Promise.reject(new Error('warn broke')),
				error: async (message: string) => {
					errors.push(message)
					throw new Error('error broke')
				},
			} as unknown as Logger
			const { tokens } = setup({ tokenUrl: `http://auth.example.com${TOKEN_PATH}`, logger: asyncLogger, onEvent: async () => Promise.reject(new Error('listener broke')) })
			nock('http://auth.example.com').post(TOKEN_PATH).reply(200, { access_token: 'at-1', token_type: 'Bearer', expires_in: 120 })
			expect((await tokens.getToken()).accessToken).toBe('at-1')
			await flush()
			await new Promise((resolve) => setImmediate(resolve))
			expect(unhandled).toEqual([])
			expect(errors).toContain('tokenwarden: onEvent listener threw')
		} finally {
			process.off('unhandledRejection', onUnhandled)
		}
	})
})

describe('a token request nobody waits for any more', () => {
	it('stops between attempts when every waiter aborted, so no retry timer keeps a process alive', async () => {
		let requests = 0
		nock(ISSUER)
			.post(TOKEN_PATH)
			.times(5)
			.reply(() => (requests++, [503, '', { 'retry-after': '30' }]))
		const { tokens } = setup()
		const controller = new AbortController()
		const waiting = tokens.getToken({ signal: controller.signal })
		await until(() => requests === 1)
		await flush()
		controller.abort()
		await expect(waiting).rejects.toBeInstanceOf(AbortError)
		await vi.advanceTimersByTimeAsync(60_000)
		await flush()
		expect(requests).toBe(1)
		expect(vi.getTimerCount()).toBe(0)
	})
})

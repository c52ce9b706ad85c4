import nock from 'nock'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { AbortError, InvalidTokenResponseError, OAuthError, TokenEndpointError, TokenWardenError } from '@tokenwarden/core'
import { flush, ISSUER, networkError, opaque, recorder, setup, slowly, TOKEN_PATH, tokenReplies, until, useNock } from './helpers.ts'

useNock()
afterEach(() => {
	vi.useRealTimers()
})

async function failure(promise: Promise<unknown>): Promise<unknown> {
	return promise.then(
		() => {
			throw new Error('expected a failure')
		},
		(error: unknown) => error,
	)
}

describe('retries', () => {
	it.each([500, 502, 503, 504, 429])('retries HTTP %i and succeeds', async (status) => {
		nock(ISSUER).post(TOKEN_PATH).reply(status, 'busy')
		const replies = tokenReplies()
		nock(ISSUER).post(TOKEN_PATH).reply(replies.reply)
		const { tokens, events } = setup()
		expect((await tokens.getToken()).accessToken).toBe('at-1')
		expect(events.filter((event) => event.type === 'retry')).toEqual([expect.objectContaining({ type: 'retry', attempt: 1, status, reason: 'status' })])
	})

	it('retries network errors', async () => {
		nock(ISSUER).post(TOKEN_PATH).replyWithError(networkError())
		nock(ISSUER).post(TOKEN_PATH).reply(tokenReplies().reply)
		const { tokens, events } = setup()
		expect((await tokens.getToken()).accessToken).toBe('at-1')
		expect(events.find((event) => event.type === 'retry')).toMatchObject({ reason: 'network' })
	})

	it('gives up after the retry limit with TokenEndpointError carrying the last status', async () => {
		nock(ISSUER).post(TOKEN_PATH).times(3).reply(503, 'down')
		const { tokens } = setup({ retry: { limit: 2, delay: 1 } })
		const error = await failure(tokens.getToken())
		expect(error).toBeInstanceOf(TokenEndpointError)
		expect(error).toBeInstanceOf(TokenWardenError)
		expect(error).toMatchObject({ code: 'TOKEN_ENDPOINT_ERROR', status: 503, attempts: 3 })
		expect(nock.isDone()).toBe(true)
	})

	it('backs off exponentially with jitter between attempts', async () => {
		nock(ISSUER).post(TOKEN_PATH).times(3).reply(503)
		nock(ISSUER).post(TOKEN_PATH).reply(tokenReplies().reply)
		const { tokens, events } = setup({ retry: { limit: 3, delay: 100, maxDelay: 10_000 } })
		vi.spyOn(Math, 'random').mockReturnValue(0.5)
		vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
		const pending = tokens.getToken()
		for (let i = 0; i < 20 && events.filter((event) => event.type === 'retry').length < 3; i++) {
			await flush()
			await vi.advanceTimersByTimeAsync(1000)
		}
		await pending
		// Equal jitter: half the capped exponential delay plus random() times the other half.
		expect(events.filter((event) => event.type === 'retry').map((event) => (event as { delay: number }).delay)).toEqual([75, 150, 300])
		vi.restoreAllMocks()
	})

	it('honours Retry-After (seconds) on 429 and 503', async () => {
		nock(ISSUER).post(TOKEN_PATH).reply(429, '', { 'Retry-After': '7' })
		nock(ISSUER).post(TOKEN_PATH).reply(tokenReplies().reply)
		vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
		const { tokens, events } = setup()
		const pending = tokens.getToken()
		await until(() => events.some((event) => event.type === 'retry'))
		expect(events.find((event) => event.type === 'retry')).toMatchObject({ delay: 7000, status: 429 })
		await vi.advanceTimersByTimeAsync(6_999)
		expect(nock.pendingMocks()).toHaveLength(1)
		await vi.advanceTimersByTimeAsync(1)
		expect((await pending).accessToken).toBe('at-1')
	})

	it('honours Retry-After as an HTTP date', async () => {
		vi.useFakeTimers({ toFake: ['Date', 'setTimeout', 'clearTimeout'] })
		vi.setSystemTime(Date.parse('2026-01-01T00:00:00Z'))
		nock(ISSUER).post(TOKEN_PATH).reply(503, '', { 'Retry-After': 'Thu, 01 Jan 2026 00:00:03 GMT' })
		nock(ISSUER).post(TOKEN_PATH).reply(tokenReplies().reply)
		const { tokens, events } = setup()
		const pending = tokens.getToken()
		await until(() => events.some((event) => event.type === 'retry'))
		expect(events.find((event) => event.type === 'retry')).toMatchObject({ delay: 3000 })
		await vi.advanceTimersByTimeAsync(3000)
		await expect(pending).resolves.toMatchObject({ accessToken: 'at-1' })
	})

	it('fails at once when Retry-After is longer than maxRetryAfter', async () => {
		nock(ISSUER).post(TOKEN_PATH).reply(429, '', { 'Retry-After': '3600' })
		const { tokens } = setup({ retry: { maxRetryAfter: 60_000 } })
		const error = await failure(tokens.getToken())
		expect(error).toBeInstanceOf(TokenEndpointError)
		expect(error).toMatchObject({ status: 429, retryAfter: 3_600_000, attempts: 1 })
	})

	it.each([
		[400, 'invalid_client'],
		[401, 'invalid_client'],
		[400, 'invalid_scope'],
		[400, 'unauthorized_client'],
		[400, 'invalid_grant'],
	])('never retries an OAuth error (HTTP %i %s)', async (status, code) => {
		const endpoint = recorder(() => [status, { error: code, error_description: 'nope', error_uri: 'https://docs.example.com/e' }])
		nock(ISSUER).post(TOKEN_PATH).times(3).reply(endpoint.reply)
		const { tokens, events } = setup()
		const error = await failure(tokens.getToken())
		expect(error).toBeInstanceOf(OAuthError)
		expect(error).toMatchObject({ code: 'OAUTH_ERROR', error: code, errorDescription: 'nope', errorUri: 'https://docs.example.com/e', status })
		expect(endpoint.count()).toBe(1)
		expect(events.some((event) => event.type === 'retry')).toBe(false)
	})

	it('does not retry a 4xx without an OAuth body, and says so', async () => {
		nock(ISSUER).post(TOKEN_PATH).reply(404, 'not found')
		const { tokens } = setup()
		const error = await failure(tokens.getToken())
		expect(error).toBeInstanceOf(TokenEndpointError)
		expect(error).toMatchObject({ status: 404, attempts: 1 })
	})

	it('retry: 0 disables retries', async () => {
		const endpoint = recorder(() => [503])
		nock(ISSUER).post(TOKEN_PATH).times(2).reply(endpoint.reply)
		const { tokens } = setup({ retry: 0 })
		await failure(tokens.getToken())
		expect(endpoint.count()).toBe(1)
	})
})

describe('timeouts and abort', () => {
	it('times out a hanging attempt and retries it', async () => {
		nock(ISSUER)
			.post(TOKEN_PATH)
			.reply(slowly(500, [200, opaque(99)]))
		nock(ISSUER).post(TOKEN_PATH).reply(tokenReplies().reply)
		const { tokens, events } = setup({ timeout: 50 })
		expect((await tokens.getToken()).accessToken).toBe('at-1')
		expect(events.find((event) => event.type === 'retry')).toMatchObject({ reason: 'timeout' })
	})

	it('reports a timeout as TokenEndpointError when every attempt hangs', async () => {
		nock(ISSUER)
			.post(TOKEN_PATH)
			.times(2)
			.reply(slowly(500, [200, opaque(1)]))
		const { tokens } = setup({ timeout: 30, retry: { limit: 1, delay: 1 } })
		const error = await failure(tokens.getToken())
		expect(error).toBeInstanceOf(TokenEndpointError)
		expect((error as Error).message).toMatch(/timed out after 30 ms/)
	})

	it('an aborted caller stops waiting without cancelling the shared request for the others', async () => {
		const replies = tokenReplies()
		nock(ISSUER).post(TOKEN_PATH).reply(slowly(50, replies.reply))
		const { tokens } = setup()
		const controller = new AbortController()
		const aborted = tokens.getToken({ signal: controller.signal })
		const other = tokens.getToken()
		controller.abort()
		const error = await failure(aborted)
		expect(error).toBeInstanceOf(AbortError)
		expect(error).toMatchObject({ code: 'ABORTED' })
		expect((await other).accessToken).toBe('at-1')
		expect(replies.count()).toBe(1)
	})

	it('rejects at once for an already aborted signal', async () => {
		const { tokens } = setup()
		await expect(tokens.getToken({ signal: AbortSignal.abort() })).rejects.toBeInstanceOf(AbortError)
	})
})

describe('response validation', () => {
	it.each([
		['an HTML error page', 200, '<!DOCTYPE html><html><head><title>Service Unavailable</title></head><body>Oops</body></html>', { 'Content-Type': 'text/html' }, 'html'],
		['HTML without a content type', 200, '<html><body>Gateway says no</body></html>', {}, 'html'],
		['a body that is not JSON', 200, 'access_token: yes', { 'Content-Type': 'text/plain' }, 'not_json'],
		['JSON that is not an object', 200, '["a"]', { 'Content-Type': 'application/json' }, 'not_an_object'],
		['no access_token', 200, '{"token_type":"Bearer","expires_in":60}', { 'Content-Type': 'application/json' }, 'missing_access_token'],
		['an empty access_token', 200, '{"access_token":"","token_type":"Bearer"}', { 'Content-Type': 'application/json' }, 'missing_access_token'],
		['token_type mac', 200, '{"access_token":"abc","token_type":"mac","expires_in":60}', { 'Content-Type': 'application/json' }, 'unsupported_token_type'],
		['token_type DPoP', 200, '{"access_token":"abc","token_type":"DPoP","expires_in":60}', { 'Content-Type': 'application/json' }, 'unsupported_token_type'],
	])('rejects %s with InvalidTokenResponseError', async (_label, status, text, headers, reason) => {
		const endpoint = recorder(() => [status, text, headers as Record<string, string>])
		nock(ISSUER).post(TOKEN_PATH).times(3).reply(endpoint.reply)
		const { tokens } = setup()
		const error = await failure(tokens.getToken())
		expect(error).toBeInstanceOf(InvalidTokenResponseError)
		expect(error).toMatchObject({ code: 'INVALID_TOKEN_RESPONSE', reason, status })
		expect(endpoint.count()).toBe(1)
	})

	it('keeps the title of an HTML error page for diagnosis', async () => {
		nock(ISSUER).post(TOKEN_PATH).reply(200, '<html><head><title>Blocked by WAF</title></head></html>', { 'Content-Type': 'text/html' })
		const error = await failure(setup().tokens.getToken())
		expect(error).toMatchObject({ reason: 'html', bodySnippet: 'Blocked by WAF' })
	})

	it('retries an HTML 502 page from a proxy, then reports it', async () => {
		nock(ISSUER).post(TOKEN_PATH).times(3).reply(502, '<html><title>502 Bad Gateway</title></html>', { 'Content-Type': 'text/html' })
		const error = await failure(setup({ retry: { limit: 2, delay: 1 } }).tokens.getToken())
		expect(error).toBeInstanceOf(TokenEndpointError)
		expect(error).toMatchObject({ status: 502, attempts: 3 })
	})

	it('accepts token_type in any case and normalises it to Bearer', async () => {
		nock(ISSUER).post(TOKEN_PATH).reply(200, { access_token: 'a', token_type: 'BEARER', expires_in: 60 })
		expect((await setup().tokens.getToken()).tokenType).toBe('Bearer')
	})

	it('treats an OAuth error in a 200 body as an OAuthError', async () => {
		nock(ISSUER).post(TOKEN_PATH).reply(200, { error: 'invalid_client' })
		await expect(setup().tokens.getToken()).rejects.toBeInstanceOf(OAuthError)
	})

	it('does not follow a redirect from the token endpoint', async () => {
		nock(ISSUER).post(TOKEN_PATH).reply(302, '', { Location: 'https://evil.example.com/steal' })
		const evil = nock('https://evil.example.com').post('/steal').reply(200, opaque(1))
		const error = await failure(setup().tokens.getToken())
		expect(error).toBeInstanceOf(TokenEndpointError)
		expect(error).toMatchObject({ status: 302 })
		expect(evil.isDone()).toBe(false)
	})
})

describe('rate limit', () => {
	it('caps token requests per interval across all keys', async () => {
		vi.useFakeTimers({ toFake: ['Date', 'setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] })
		const replies = tokenReplies()
		nock(ISSUER).post(TOKEN_PATH).times(5).reply(replies.reply)
		const { tokens } = setup({ rateLimit: { limit: 2, interval: 60_000 }, timeout: 120_000 })
		const all = Promise.all(['a', 'b', 'c', 'd', 'e'].map((scope) => tokens.getToken({ scope })))
		await until(() => replies.count() === 2)
		await vi.advanceTimersByTimeAsync(59_000)
		await flush()
		expect(replies.count()).toBe(2)
		await vi.advanceTimersByTimeAsync(1_000)
		await until(() => replies.count() === 4)
		await vi.advanceTimersByTimeAsync(60_000)
		await all
		expect(replies.count()).toBe(5)
	})
})

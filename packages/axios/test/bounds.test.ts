import { inspect } from 'node:util'
import axios, { AxiosError, CanceledError } from 'axios'
import { RateLimitedError } from '@tokenwarden/core'
import { describe, expect, test } from 'vitest'
import { withTokens } from '@tokenwarden/axios'
import { API, endpoint, setup, startServer, useNock } from '../../../test-support/adapters.ts'
import { slowTokens } from '../../../test-support/slow-token.ts'

useNock()

describe("the client's timeout and signal bound the wait for a token", () => {
	test('timeout: the call fails with axios own ECONNABORTED AxiosError; the token request goes on for the others', async () => {
		const { tokens, release, count } = slowTokens()
		const { seen } = endpoint(API, '/cob')
		const api = withTokens(axios.create({ baseURL: API }), tokens)
		const patient = api.get('/cob')
		const error = await api.get('/cob', { timeout: 20 }).catch((caught: unknown) => caught)
		expect(error).toBeInstanceOf(AxiosError)
		expect(error).toMatchObject({ code: 'ECONNABORTED', message: 'timeout of 20ms exceeded' })
		release()
		expect((await patient).status).toBe(200)
		expect(seen).toEqual(['Bearer slow-1'])
		expect(count()).toBe(1)
	})

	test('timeout with transitional.clarifyTimeoutError: ETIMEDOUT, as axios gives it', async () => {
		const { tokens, release } = slowTokens()
		const api = withTokens(axios.create({ baseURL: API, timeout: 20, transitional: { clarifyTimeoutError: true } }), tokens)
		await expect(api.get('/cob')).rejects.toMatchObject({ code: 'ETIMEDOUT' })
		release()
	})

	test('signal: aborting the call while it waits for a token rejects it with CanceledError; the others still get the token', async () => {
		const { tokens, release, count } = slowTokens()
		const { seen } = endpoint(API, '/cob')
		const api = withTokens(axios.create({ baseURL: API }), tokens)
		const controller = new AbortController()
		const patient = api.get('/cob')
		const aborted = api.get('/cob', { signal: controller.signal }).catch((caught: unknown) => caught)
		controller.abort()
		const error = await aborted
		expect(error).toBeInstanceOf(CanceledError)
		expect(axios.isCancel(error)).toBe(true)
		expect(error).toMatchObject({ code: 'ERR_CANCELED' })
		release()
		expect((await patient).status).toBe(200)
		expect(seen).toEqual(['Bearer slow-1'])
		expect(count()).toBe(1)
	})

	test('an already aborted signal fails at once, without asking for a token', async () => {
		const { tokens, count } = slowTokens()
		const api = withTokens(axios.create({ baseURL: API }), tokens)
		await expect(api.get('/cob', { signal: AbortSignal.abort() })).rejects.toBeInstanceOf(CanceledError)
		expect(count()).toBe(0)
	})

	test('a timeout that the wait did not use up still applies to the request itself', async () => {
		const { tokens } = setup()
		const slow = await startServer(() => ({ status: 200 }))
		endpoint(API, '/cob')
		const api = withTokens(axios.create({ baseURL: slow.origin, timeout: 5_000 }), tokens)
		expect((await api.get('/x')).status).toBe(200)
		expect(slow.seen).toEqual([{ path: '/x', authorization: 'Bearer access-1' }])
	})
})

describe('a successful response does not show the token when logged', () => {
	for (const adapter of ['http', 'fetch'] as const) {
		test(`${adapter} adapter: console.log / util.inspect of the response, and JSON of its config`, async () => {
			const { tokens } = setup()
			const server = await startServer(() => ({ status: 200 }))
			const response = await withTokens(axios.create({ baseURL: server.origin, adapter }), tokens).get('/cob')
			expect(server.seen).toEqual([{ path: '/cob', authorization: 'Bearer access-1' }])
			for (const text of [inspect(response), inspect(response, { depth: 10 }), JSON.stringify(response.config)]) expect(text).not.toContain('access-1')
			// Still there for code that asks.
			expect(response.config.headers.Authorization).toBe('Bearer access-1')
			expect(response.request).toBeDefined()
		})
	}
})

describe('the token budget (rateLimit)', () => {
	test("a call whose token request waits for the manager's rateLimit budget ends at the client's timeout, with axios' timeout error; the token request goes on", async () => {
		const { tokens, tokenEndpoint } = setup({ rateLimit: { limit: 1, interval: 300 } })
		endpoint(API, '/cob')
		const api = withTokens(axios.create({ baseURL: API }), tokens)
		expect((await api.get('/cob')).status).toBe(200)
		// The budget of one token request per 300 ms is spent: a token for another scope waits for it, the call does not.
		await expect(api.get('/cob', { timeout: 30, tokenwarden: { scope: 'other' } })).rejects.toMatchObject({ code: 'ECONNABORTED' })
		// The token request itself goes on and is there for the next caller.
		await tokens.getToken({ scope: 'other' })
		expect(tokenEndpoint.count()).toBe(2)
	})

	test("a call whose token request would wait for the budget longer than the manager's timeout fails at once with the manager's RateLimitedError, unwrapped", async () => {
		const { tokens, tokenEndpoint } = setup({ rateLimit: { limit: 1, interval: 60_000 } })
		endpoint(API, '/cob')
		const api = withTokens(axios.create({ baseURL: API }), tokens)
		expect((await api.get('/cob')).status).toBe(200)
		const error = await api.get('/cob', { tokenwarden: { scope: 'other' } }).catch((caught: unknown) => caught)
		expect(error).toBeInstanceOf(RateLimitedError)
		expect(error).not.toBeInstanceOf(AxiosError)
		expect(error).toMatchObject({ code: 'RATE_LIMITED' })
		expect(tokenEndpoint.count()).toBe(1)
	})
})

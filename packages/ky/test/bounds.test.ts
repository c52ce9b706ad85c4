import ky, { HTTPError, TimeoutError } from 'ky'
import { RateLimitedError } from '@tokenwarden/core'
import kyOne, { TimeoutError as TimeoutErrorOne } from 'ky-1'
import { describe, expect, test } from 'vitest'
import { withTokens } from '@tokenwarden/ky'
import { API, endpoint, setup, useNock } from '../../../test-support/adapters.ts'
import { slowTokens } from '../../../test-support/slow-token.ts'

useNock()

describe("ky's timeout and signal bound the wait for a token", () => {
	test("timeout: the call fails with ky's TimeoutError; the token request goes on for the others", async () => {
		const { tokens, release, count } = slowTokens()
		const { seen } = endpoint(API, '/cob')
		const api = withTokens(ky.create({ baseUrl: API, retry: 0 }), tokens)
		const patient = api.get('cob', { timeout: false })
		await expect(api.get('cob', { timeout: 20 })).rejects.toBeInstanceOf(TimeoutError)
		release()
		expect((await patient).status).toBe(200)
		expect(seen).toEqual(['Bearer slow-1'])
		expect(count()).toBe(1)
	})

	test('signal: aborting the call while it waits fails it with the signal reason, as an aborted fetch does; the others still get the token', async () => {
		const { tokens, release, count } = slowTokens()
		const { seen } = endpoint(API, '/cob')
		const api = withTokens(ky.create({ baseUrl: API, retry: 0 }), tokens)
		const controller = new AbortController()
		const patient = api.get('cob')
		const aborted = api.get('cob', { signal: controller.signal }).catch((caught: unknown) => caught)
		controller.abort()
		expect(await aborted).toMatchObject({ name: 'AbortError' })
		release()
		expect((await patient).status).toBe(200)
		expect(seen).toEqual(['Bearer slow-1'])
		expect(count()).toBe(1)
	})

	test("ky 1: timeout covers the wait as well, with that ky's TimeoutError", async () => {
		const { tokens, release } = slowTokens()
		const api = withTokens(kyOne.create({ prefixUrl: API, retry: 0, timeout: 20 }) as never, tokens) as unknown as typeof kyOne
		await expect(api.get('cob')).rejects.toBeInstanceOf(TimeoutErrorOne)
		release()
	})
})

describe('the token budget (rateLimit)', () => {
	test("a call whose token request waits for the manager's rateLimit budget ends at the client's timeout, with ky's TimeoutError; the token request goes on", async () => {
		const { tokens, tokenEndpoint } = setup({ rateLimit: { limit: 1, interval: 300 } })
		endpoint(API, '/cob')
		const api = withTokens(ky.create({ baseUrl: API, retry: 0 }), tokens)
		expect((await api.get('cob')).status).toBe(200)
		// The budget of one token request per 300 ms is spent: a token for another scope waits for it, the call does not.
		await expect(api.get('cob', { timeout: 30, context: { tokenwarden: { scope: 'other' } } })).rejects.toBeInstanceOf(TimeoutError)
		// The token request itself goes on and is there for the next caller.
		await tokens.getToken({ scope: 'other' })
		expect(tokenEndpoint.count()).toBe(2)
	})

	test("a call whose token request would wait for the budget longer than the manager's timeout fails at once with the manager's RateLimitedError, unwrapped", async () => {
		const { tokens, tokenEndpoint } = setup({ rateLimit: { limit: 1, interval: 60_000 } })
		endpoint(API, '/cob')
		const api = withTokens(ky.create({ baseUrl: API, retry: 0 }), tokens)
		expect((await api.get('cob')).status).toBe(200)
		const error = await api.get('cob', { context: { tokenwarden: { scope: 'other' } } }).catch((caught: unknown) => caught)
		expect(error).toBeInstanceOf(RateLimitedError)
		expect(error).not.toBeInstanceOf(HTTPError)
		expect(error).toMatchObject({ code: 'RATE_LIMITED' })
		expect(tokenEndpoint.count()).toBe(1)
	})
})

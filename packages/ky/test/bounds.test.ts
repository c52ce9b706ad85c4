import ky, { TimeoutError } from 'ky'
import kyOne, { TimeoutError as TimeoutErrorOne } from 'ky-1'
import { describe, expect, test } from 'vitest'
import { withTokens } from '@tokenwarden/ky'
import { API, endpoint, setup, useNock } from '../../../test-support/adapters.ts'
import { slowTokens } from './slow-token.ts'

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
	test("a call whose token request is held back by the manager's rateLimit ends at ky's timeout, with ky's TimeoutError", async () => {
		const { tokens, tokenEndpoint } = setup({ rateLimit: { limit: 1, interval: 60_000 } })
		endpoint(API, '/cob')
		const api = withTokens(ky.create({ baseUrl: API, retry: 0 }), tokens)
		expect((await api.get('cob')).status).toBe(200)
		await tokens.invalidate(await tokens.getToken())
		// The budget of one token request a minute is spent: the next one waits for it, the call does not.
		await expect(api.get('cob', { timeout: 30 })).rejects.toBeInstanceOf(TimeoutError)
		expect(tokenEndpoint.count()).toBe(1)
	})
})

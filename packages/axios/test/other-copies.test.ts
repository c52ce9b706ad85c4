// The adapter with axios instances from another copy of axios than the one this package imports: a
// separate install of axios 1.7 (the oldest release of the peer range). Tokens must go out and the
// whole flow (origins, opt-out, 401 retry, hidden header, timeouts) must hold with that copy's configs.
import { inspect } from 'node:util'
import axiosOld, { AxiosError as OldAxiosError, type AxiosInstance as OldAxiosInstance } from 'axios-1-7'
import axios from 'axios'
import { describe, expect, test } from 'vitest'
import { withTokens } from '@tokenwarden/axios'
import { type AdapterDriver, API, scenarios, setup, startServer, useNock } from '../../../test-support/adapters.ts'
import { slowTokens } from '../../../test-support/slow-token.ts'

useNock()

type Client = OldAxiosInstance

const driver: AdapterDriver<Client> = {
	create: (tokens, options, base = API) => withTokens(axiosOld.create({ baseURL: base }), tokens, options),
	get: async (client, url, token, headers) =>
		(await client.get(url, { ...(token === undefined ? {} : ({ tokenwarden: token } as object)), ...(headers === undefined ? {} : { headers }) })).status,
	post: async (client, url, body) => (await client.post(url, body)).status,
	// Its errors are axios errors (`isAxiosError`, codes); the class is this package's axios (see README).
	HttpError: Error,
}

describe('axios 1.7, a separate copy', () => {
	test('is another module than the axios this package imports', () => {
		expect(axiosOld).not.toBe(axios)
		expect(axiosOld.VERSION).toBe('1.7.0')
	})

	test('requests to the baseURL origin carry the token, one token for many requests', () => scenarios.oneTokenForManyRequests(driver, { path: '/cob', urls: ['/cob', 'cob'] }))

	test('other origins get no token', () =>
		scenarios.noTokenForOtherOrigins(driver, [(api) => api.get('https://evil.example.com/steal'), (api) => api.get('http://api.example.com/steal')]))

	test('tokenwarden: false sends no token', () => scenarios.optOutSendsNoToken(driver))

	test('scope per request', () => scenarios.scopePerRequest(driver))

	test('a redirect to another origin arrives without the token', () => scenarios.redirectKeepsTokenWithinOrigin(driver))

	test('a 401 drops the token and the request is retried once with a fresh one', () => scenarios.retriesOnceWithFreshToken(driver))

	test('a second 401 reaches the caller as an axios error', async () => {
		const error = await scenarios.finalUnauthorizedShowsNoToken(driver)
		expect(axiosOld.isAxiosError(error)).toBe(true)
	})

	test('100 concurrent requests failing with the same stale token cause one new token request', () => scenarios.concurrentUnauthorizedShareOneRefresh(driver))

	test('errors of the manager reach the caller unchanged', () => scenarios.tokenEndpointErrorReachesCaller({ ...driver, HttpError: OldAxiosError as never }))

	test('the fetch adapter of that copy is retried as well', () =>
		scenarios.retriesOnceWithFreshToken(driver, (tokens) => withTokens(axiosOld.create({ baseURL: API, adapter: 'fetch' }), tokens)))

	test('timeout bounds the wait for a token with an ECONNABORTED axios error', async () => {
		const { tokens, release } = slowTokens()
		const api = withTokens(axiosOld.create({ baseURL: API, timeout: 20 }), tokens)
		const error = await api.get('/cob').catch((caught: unknown) => caught)
		expect(axiosOld.isAxiosError(error)).toBe(true)
		expect(error).toMatchObject({ code: 'ECONNABORTED' })
		release()
	})

	test('a successful response does not show the token when logged', async () => {
		const { tokens } = setup()
		const server = await startServer(() => ({ status: 200 }))
		const response = await withTokens(axiosOld.create({ baseURL: server.origin }), tokens).get('/cob')
		expect(server.seen[0]?.authorization).toBe('Bearer access-1')
		expect(inspect(response, { depth: 10 })).not.toContain('access-1')
	})
})

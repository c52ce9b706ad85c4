import ky, { type HTTPError } from 'ky'
import nock from 'nock'
import { describe, expect, test } from 'vitest'
import { withTokens } from '@tokenwarden/ky'
import { API, endpoint, scenarios, setup, useNock } from '../../../test-support/adapters.ts'
import { driver } from './driver.ts'

useNock()

/** A body that can be read once: a web stream of one chunk. */
function oneChunkStream(): ReadableStream<Uint8Array> {
	return new ReadableStream({
		start(controller) {
			controller.enqueue(new TextEncoder().encode('chunk'))
			controller.close()
		},
	})
}

describe('after a 401', () => {
	test('the token sent is dropped and the request is retried once with a fresh token', () => scenarios.retriesOnceWithFreshToken(driver))

	test('a POST with a JSON body is replayed with the same body, inside one ky attempt', async () => {
		const { tokens } = setup()
		const bodies: string[] = []
		const retries: unknown[] = []
		nock(API)
			.persist()
			.post('/cob')
			.reply(async (request: Request) => {
				bodies.push(await request.text())
				return [request.headers.get('authorization') === 'Bearer access-2' ? 200 : 401, {}]
			})
		const api = withTokens(ky.create({ baseUrl: API, hooks: { beforeRetry: [({ retryCount }) => void retries.push(retryCount)] } }), tokens)
		await api.post('cob', { json: { amount: 10 } })
		expect(bodies).toEqual(['{"amount":10}', '{"amount":10}'])
		// Not one of ky's retries: none of its delay or budget is used.
		expect(retries).toEqual([])
	})

	test('a second 401 reaches the caller as ky HTTPError: never a second retry', () =>
		scenarios.secondUnauthorizedReachesCaller(driver, (tokens) => withTokens(ky.create({ baseUrl: API, retry: 5 }), tokens)))

	test('one retry per call, also across ky retries: 401, retry, 503, ky retry, 401 reaches the caller', async () => {
		const { tokens, tokenEndpoint } = setup()
		const { seen } = endpoint(API, '/cob', (_authorization, count) => (count === 2 ? 503 : 401))
		const api = withTokens(ky.create({ baseUrl: API, retry: { limit: 2, delay: () => 0 } }), tokens)
		await expect(api.get('cob')).rejects.toMatchObject({ response: { status: 401 } })
		expect(seen).toEqual(['Bearer access-1', 'Bearer access-2', 'Bearer access-2'])
		expect(tokenEndpoint.count()).toBe(2)
	})

	test('retryUnauthorized: false surfaces the first 401', () => scenarios.noRetryWhenTurnedOff(driver))

	test('the retry after a 401 does not need ky retries (retry: 0)', () =>
		scenarios.retriesOnceWithFreshToken(driver, (tokens) => withTokens(ky.create({ baseUrl: API, retry: 0 }), tokens)))

	test('ky retries of a 5xx carry the token; a 401 on one of them still gets its one retry', async () => {
		const { tokens } = setup()
		const { seen } = endpoint(API, '/cob', (authorization, count) => (count === 1 ? 503 : authorization === 'Bearer access-2' ? 200 : 401))
		const api = withTokens(ky.create({ baseUrl: API, retry: { limit: 2, delay: () => 0 } }), tokens)
		expect((await api.get('cob')).status).toBe(200)
		expect(seen).toEqual(['Bearer access-1', 'Bearer access-1', 'Bearer access-2'])
	})

	test('with throwHttpErrors: false the 401 is retried as well', () =>
		scenarios.retriesOnceWithFreshToken(driver, (tokens) => withTokens(ky.create({ baseUrl: API, throwHttpErrors: false }), tokens)))

	test('a request without a token (other origin, opt-out) is not retried', () => scenarios.noRetryWithoutToken(driver))

	test('100 concurrent requests failing with the same stale token cause one new token request', () => scenarios.concurrentUnauthorizedShareOneRefresh(driver))

	test('a streamed body is not replayed: the 401 reaches the caller after one attempt', () => scenarios.streamedBodyNotReplayed(driver, oneChunkStream))
})

describe('a 401 without a retry still drops the token sent', () => {
	test('retryUnauthorized: false: the next request gets a fresh token', () => scenarios.staleTokenDroppedWithoutRetry(driver))

	test('a streamed body: the next request gets a fresh token', () => scenarios.staleTokenDroppedAfterUnreplayableBody(driver, oneChunkStream))
})

describe('errors of the token manager reach the caller unchanged', () => {
	test('an OAuthError from the token endpoint, with no API request made', () => scenarios.tokenEndpointErrorReachesCaller(driver))

	test('a ConsentRequiredError for a subject without consent', () => scenarios.consentRequiredReachesCaller(driver))

	test('an OAuthError while fetching the fresh token for the retry', () => scenarios.tokenErrorOnRetryReachesCaller(driver))
})

test('a ky HTTPError does not show the token when logged or serialised', () =>
	scenarios.httpErrorShowsNoToken(driver, (tokens) => withTokens(ky.create({ baseUrl: API, retry: 0 }), tokens)))

test('the final 401 after the retry does not show either token', async () => {
	const error = (await scenarios.finalUnauthorizedShowsNoToken(driver)) as HTTPError
	// Still there for code that asks.
	expect(error.request.headers.get('authorization')).toMatch(/^Bearer access-/)
})

import { inspect } from 'node:util'
import ky, { HTTPError } from 'ky'
import nock from 'nock'
import { describe, expect, test } from 'vitest'
import { ConsentRequiredError, OAuthError } from '@tokenwarden/core'
import { withTokens } from '@tokenwarden/ky'
import { acceptOnly, API, endpoint, setup, useNock } from './helpers.ts'

useNock()

describe('after a 401', () => {
	test('the token sent is dropped and the request is retried once with a fresh token', async () => {
		const { tokens, tokenRequests } = setup()
		const { seen } = endpoint(API, '/cob', acceptOnly('at-2'))
		const api = withTokens(ky.create({ baseUrl: API }), tokens)
		expect(await api.get('cob').json()).toEqual({ ok: true })
		expect(seen).toEqual(['Bearer at-1', 'Bearer at-2'])
		expect(tokenRequests()).toBe(2)
		await api.get('cob')
		expect(seen.at(-1)).toBe('Bearer at-2')
		expect(tokenRequests()).toBe(2)
	})

	test('a POST with a JSON body is replayed with the same body, inside one ky attempt', async () => {
		const { tokens } = setup()
		const bodies: string[] = []
		const retries: unknown[] = []
		nock(API)
			.persist()
			.post('/cob')
			.reply(async (request: Request) => {
				bodies.push(await request.text())
				return [request.headers.get('authorization') === 'Bearer at-2' ? 200 : 401, {}]
			})
		const api = withTokens(ky.create({ baseUrl: API, hooks: { beforeRetry: [({ retryCount }) => void retries.push(retryCount)] } }), tokens)
		await api.post('cob', { json: { amount: 10 } })
		expect(bodies).toEqual(['{"amount":10}', '{"amount":10}'])
		// Not one of ky's retries: none of its delay or budget is used.
		expect(retries).toEqual([])
	})

	test('a second 401 reaches the caller as ky HTTPError: never a second retry', async () => {
		const { tokens, tokenRequests } = setup()
		const { seen } = endpoint(API, '/cob', () => 401)
		const api = withTokens(ky.create({ baseUrl: API, retry: 5 }), tokens)
		const error = await api.get('cob').catch((caught: unknown) => caught)
		expect(error).toBeInstanceOf(HTTPError)
		expect((error as HTTPError).response.status).toBe(401)
		expect(seen).toEqual(['Bearer at-1', 'Bearer at-2'])
		expect(tokenRequests()).toBe(2)
	})

	test('one retry per call, also across ky retries: 401, retry, 503, ky retry, 401 reaches the caller', async () => {
		const { tokens, tokenRequests } = setup()
		const { seen } = endpoint(API, '/cob', (_authorization, count) => (count === 2 ? 503 : 401))
		const api = withTokens(ky.create({ baseUrl: API, retry: { limit: 2, delay: () => 0 } }), tokens)
		await expect(api.get('cob')).rejects.toMatchObject({ response: { status: 401 } })
		expect(seen).toEqual(['Bearer at-1', 'Bearer at-2', 'Bearer at-2'])
		expect(tokenRequests()).toBe(2)
	})

	test('retryUnauthorized: false surfaces the first 401', async () => {
		const { tokens } = setup()
		const { seen } = endpoint(API, '/cob', () => 401)
		const api = withTokens(ky.create({ baseUrl: API }), tokens, { retryUnauthorized: false })
		await expect(api.get('cob')).rejects.toMatchObject({ response: { status: 401 } })
		expect(seen).toEqual(['Bearer at-1'])
	})

	test('the retry after a 401 does not need ky retries (retry: 0)', async () => {
		const { tokens } = setup()
		const { seen } = endpoint(API, '/cob', acceptOnly('at-2'))
		const api = withTokens(ky.create({ baseUrl: API, retry: 0 }), tokens)
		expect((await api.get('cob')).status).toBe(200)
		expect(seen).toEqual(['Bearer at-1', 'Bearer at-2'])
	})

	test('ky retries of a 5xx carry the token; a 401 on one of them still gets its one retry', async () => {
		const { tokens } = setup()
		const { seen } = endpoint(API, '/cob', (authorization, count) => (count === 1 ? 503 : authorization === 'Bearer at-2' ? 200 : 401))
		const api = withTokens(ky.create({ baseUrl: API, retry: { limit: 2, delay: () => 0 } }), tokens)
		expect((await api.get('cob')).status).toBe(200)
		expect(seen).toEqual(['Bearer at-1', 'Bearer at-1', 'Bearer at-2'])
	})

	test('with throwHttpErrors: false the 401 is retried as well', async () => {
		const { tokens } = setup()
		const { seen } = endpoint(API, '/cob', acceptOnly('at-2'))
		const api = withTokens(ky.create({ baseUrl: API, throwHttpErrors: false }), tokens)
		expect((await api.get('cob')).status).toBe(200)
		expect(seen).toEqual(['Bearer at-1', 'Bearer at-2'])
	})

	test('a request without a token (other origin, opt-out) is not retried', async () => {
		const { tokens, tokenRequests } = setup()
		const foreign = endpoint('https://evil.example.com', '/x', () => 401)
		const own = endpoint(API, '/x', () => 401)
		const api = withTokens(ky.create({ baseUrl: API }), tokens)
		await expect(api.get('https://evil.example.com/x')).rejects.toBeInstanceOf(HTTPError)
		await expect(api.get('x', { context: { tokenwarden: false } })).rejects.toBeInstanceOf(HTTPError)
		expect([...foreign.seen, ...own.seen]).toEqual([null, null])
		expect(tokenRequests()).toBe(0)
	})

	test('100 concurrent requests failing with the same stale token cause one new token request', async () => {
		const { tokens, tokenRequests } = setup()
		const { seen } = endpoint(API, '/cob', acceptOnly('at-2'))
		const api = withTokens(ky.create({ baseUrl: API }), tokens)
		const responses = await Promise.all(Array.from({ length: 100 }, () => api.get('cob')))
		expect(responses.every((response) => response.status === 200)).toBe(true)
		expect(tokenRequests()).toBe(2)
		expect(seen.filter((header) => header === 'Bearer at-1')).toHaveLength(100)
		expect(seen.filter((header) => header === 'Bearer at-2')).toHaveLength(100)
	})

	test('a streamed body is not replayed: the 401 reaches the caller after one attempt', async () => {
		const { tokens, tokenRequests } = setup()
		const { seen } = endpoint(API, '/upload', acceptOnly('at-2'), 'post')
		const api = withTokens(ky.create({ baseUrl: API }), tokens)
		const body = new ReadableStream({
			start(controller) {
				controller.enqueue(new TextEncoder().encode('chunk'))
				controller.close()
			},
		})
		await expect(api.post('upload', { body })).rejects.toMatchObject({ response: { status: 401 } })
		expect(seen).toEqual(['Bearer at-1'])
		expect(tokenRequests()).toBe(1)
	})
})

describe('errors of the token manager reach the caller unchanged', () => {
	test('an OAuthError from the token endpoint, with no API request made', async () => {
		const { tokens, answerTokens } = setup()
		answerTokens(() => [401, { error: 'invalid_client', error_description: 'bad secret' }])
		const { seen } = endpoint(API, '/cob')
		const api = withTokens(ky.create({ baseUrl: API }), tokens)
		const error = await api.get('cob').catch((caught: unknown) => caught)
		expect(error).toBeInstanceOf(OAuthError)
		expect((error as OAuthError).error).toBe('invalid_client')
		expect(seen).toEqual([])
	})

	test('a ConsentRequiredError for a subject without consent', async () => {
		const { tokens } = setup()
		const api = withTokens(ky.create({ baseUrl: API }), tokens)
		const error = await api.get('saldo', { context: { tokenwarden: { subject: 'account-42' } } }).catch((caught: unknown) => caught)
		expect(error).toBeInstanceOf(ConsentRequiredError)
		expect((error as ConsentRequiredError).subject).toBe('account-42')
	})

	test('an OAuthError while fetching the fresh token for the retry', async () => {
		const { tokens, answerTokens } = setup()
		answerTokens((count) => (count === 1 ? [200, { access_token: 'at-1', token_type: 'Bearer', expires_in: 3600 }] : [400, { error: 'invalid_scope' }]))
		endpoint(API, '/cob', () => 401)
		const api = withTokens(ky.create({ baseUrl: API }), tokens)
		await expect(api.get('cob')).rejects.toBeInstanceOf(OAuthError)
	})
})

test('a ky HTTPError does not show the token when logged or serialised', async () => {
	const { tokens } = setup()
	const { seen } = endpoint(API, '/cob', () => 500)
	const api = withTokens(ky.create({ baseUrl: API, retry: 0 }), tokens)
	const error = await api.get('cob').catch((caught: unknown) => caught)
	expect(seen).toEqual(['Bearer at-1'])
	expect(error).toBeInstanceOf(HTTPError)
	for (const text of [JSON.stringify(error), inspect(error), inspect(error, { depth: 10 })]) expect(text).not.toContain('at-1')
})

test('the final 401 after the retry does not show either token', async () => {
	const { tokens } = setup()
	endpoint(API, '/cob', () => 401)
	const api = withTokens(ky.create({ baseUrl: API }), tokens)
	const error = (await api.get('cob').catch((caught: unknown) => caught)) as HTTPError
	expect(error.response.status).toBe(401)
	// Still there for code that asks.
	expect(error.request.headers.get('authorization')).toMatch(/^Bearer at-/)
	for (const text of [JSON.stringify(error), inspect(error), inspect(error, { depth: 10 })]) {
		expect(text).not.toContain('at-1')
		expect(text).not.toContain('at-2')
	}
})

import { Readable } from 'node:stream'
import axios, { AxiosError } from 'axios'
import { describe, expect, test } from 'vitest'
import { ConsentRequiredError, OAuthError } from '@tokenwarden/core'
import { withTokens } from '@tokenwarden/axios'
import { acceptOnly, API, endpoint, setup, useNock } from './helpers.ts'

useNock()

describe('after a 401', () => {
	test('the token sent is dropped and the request is retried once with a fresh token', async () => {
		const { tokens, tokenRequests } = setup()
		const { seen } = endpoint(API, '/cob', acceptOnly('at-2'))
		const api = withTokens(axios.create({ baseURL: API }), tokens)
		const response = await api.get('/cob')
		expect(response.status).toBe(200)
		expect(seen).toEqual(['Bearer at-1', 'Bearer at-2'])
		expect(tokenRequests()).toBe(2)
		// The fresh token is the cached one now.
		await api.get('/cob')
		expect(seen.at(-1)).toBe('Bearer at-2')
		expect(tokenRequests()).toBe(2)
	})

	test('a POST with a JSON body is replayed with the same body', async () => {
		const { tokens } = setup()
		const bodies: unknown[] = []
		const { seen } = endpoint(API, '/cob', acceptOnly('at-2'), 'post')
		const api = withTokens(axios.create({ baseURL: API }), tokens)
		api.interceptors.request.use((config) => {
			bodies.push(config.data)
			return config
		})
		await api.post('/cob', { amount: 10 })
		expect(seen).toEqual(['Bearer at-1', 'Bearer at-2'])
		expect(bodies).toHaveLength(2)
	})

	test('a second 401 reaches the caller: never a second retry', async () => {
		const { tokens, tokenRequests } = setup()
		const { seen } = endpoint(API, '/cob', () => 401)
		const api = withTokens(axios.create({ baseURL: API }), tokens)
		const error = await api.get('/cob').catch((caught: unknown) => caught)
		expect(error).toBeInstanceOf(AxiosError)
		expect((error as AxiosError).response?.status).toBe(401)
		expect(seen).toEqual(['Bearer at-1', 'Bearer at-2'])
		expect(tokenRequests()).toBe(2)
	})

	test('retryUnauthorized: false surfaces the first 401 (and still drops nothing else)', async () => {
		const { tokens } = setup()
		const { seen } = endpoint(API, '/cob', () => 401)
		const api = withTokens(axios.create({ baseURL: API }), tokens, { retryUnauthorized: false })
		await expect(api.get('/cob')).rejects.toMatchObject({ response: { status: 401 } })
		expect(seen).toEqual(['Bearer at-1'])
	})

	test('a 401 accepted by validateStatus is retried as well', async () => {
		const { tokens } = setup()
		const { seen } = endpoint(API, '/cob', acceptOnly('at-2'))
		const api = withTokens(axios.create({ baseURL: API, validateStatus: () => true }), tokens)
		expect((await api.get('/cob')).status).toBe(200)
		expect(seen).toEqual(['Bearer at-1', 'Bearer at-2'])
	})

	test('a request without a token (other origin, opt-out) is not retried', async () => {
		const { tokens, tokenRequests } = setup()
		const foreign = endpoint('https://evil.example.com', '/x', () => 401)
		const own = endpoint(API, '/x', () => 401)
		const api = withTokens(axios.create({ baseURL: API }), tokens)
		await expect(api.get('https://evil.example.com/x')).rejects.toMatchObject({ response: { status: 401 } })
		await expect(api.get('/x', { tokenwarden: false })).rejects.toMatchObject({ response: { status: 401 } })
		expect([...foreign.seen, ...own.seen]).toEqual([null, null])
		expect(tokenRequests()).toBe(0)
	})

	test('100 concurrent requests failing with the same stale token cause one new token request', async () => {
		const { tokens, tokenRequests } = setup()
		const { seen } = endpoint(API, '/cob', acceptOnly('at-2'))
		const api = withTokens(axios.create({ baseURL: API }), tokens)
		const responses = await Promise.all(Array.from({ length: 100 }, () => api.get('/cob')))
		expect(responses.every((response) => response.status === 200)).toBe(true)
		expect(tokenRequests()).toBe(2)
		expect(seen.filter((header) => header === 'Bearer at-1')).toHaveLength(100)
		expect(seen.filter((header) => header === 'Bearer at-2')).toHaveLength(100)
	})

	test('a streamed body cannot be replayed: the 401 reaches the caller after one attempt', async () => {
		const { tokens, tokenRequests } = setup()
		const { seen } = endpoint(API, '/upload', acceptOnly('at-2'), 'post')
		const api = withTokens(axios.create({ baseURL: API }), tokens)
		await expect(api.post('/upload', Readable.from([Buffer.from('chunk')]))).rejects.toMatchObject({ response: { status: 401 } })
		expect(seen).toEqual(['Bearer at-1'])
		expect(tokenRequests()).toBe(1)
	})
})

describe('errors of the token manager reach the caller unchanged', () => {
	test('an OAuthError from the token endpoint, with no API request made', async () => {
		const { tokens, answerTokens } = setup()
		answerTokens(() => [401, { error: 'invalid_client', error_description: 'bad secret' }])
		const { seen } = endpoint(API, '/cob')
		const api = withTokens(axios.create({ baseURL: API }), tokens)
		const error = await api.get('/cob').catch((caught: unknown) => caught)
		expect(error).toBeInstanceOf(OAuthError)
		expect(error).not.toBeInstanceOf(AxiosError)
		expect((error as OAuthError).error).toBe('invalid_client')
		expect(seen).toEqual([])
	})

	test('a ConsentRequiredError for a subject without consent', async () => {
		const { tokens } = setup()
		const api = withTokens(axios.create({ baseURL: API }), tokens, { subject: 'account-42' })
		const error = await api.get('/saldo').catch((caught: unknown) => caught)
		expect(error).toBeInstanceOf(ConsentRequiredError)
		expect((error as ConsentRequiredError).subject).toBe('account-42')
	})

	test('an OAuthError while fetching the fresh token for the retry', async () => {
		const { tokens, answerTokens } = setup()
		answerTokens((count) => (count === 1 ? [200, { access_token: 'at-1', token_type: 'Bearer', expires_in: 3600 }] : [400, { error: 'invalid_scope' }]))
		endpoint(API, '/cob', () => 401)
		const api = withTokens(axios.create({ baseURL: API }), tokens)
		await expect(api.get('/cob')).rejects.toBeInstanceOf(OAuthError)
	})
})

import { createRequire } from 'node:module'
import { Readable } from 'node:stream'
import axios, { type AxiosAdapter, AxiosError, type AxiosRequestConfig, type InternalAxiosRequestConfig } from 'axios'
import nock from 'nock'
import { describe, expect, test } from 'vitest'
import { withTokens } from '@tokenwarden/axios'
import { acceptOnly, API, endpoint, scenarios, setup, useNock } from '../../../test-support/adapters.ts'
import { driver } from './driver.ts'

useNock()

describe('after a 401', () => {
	test('the token sent is dropped and the request is retried once with a fresh token', () => scenarios.retriesOnceWithFreshToken(driver))

	test('a POST with a JSON body is replayed with the same body; request interceptors run once', async () => {
		const { tokens } = setup()
		const bodies: string[] = []
		nock(API)
			.persist()
			.post('/cob')
			.reply(async (request: Request) => {
				bodies.push(await request.text())
				return [request.headers.get('authorization') === 'Bearer access-2' ? 200 : 401, {}]
			})
		const api = driver.create(tokens)
		let transforms = 0
		api.interceptors.request.use((config) => {
			transforms++
			return config
		})
		expect((await api.post('/cob', { amount: 10 })).status).toBe(200)
		expect(bodies).toEqual(['{"amount":10}', '{"amount":10}'])
		expect(transforms).toBe(1)
	})

	test('a 401 whose body is a stream (responseType: stream) is retried, and the dropped stream released', async () => {
		const { tokens } = setup()
		const seen = endpoint(API, '/file', acceptOnly('access-2'))
		const response = await driver.create(tokens).get('/file', { responseType: 'stream', validateStatus: (status) => status < 500 })
		expect(response.status).toBe(200)
		expect(typeof response.data.pipe).toBe('function')
		response.data.destroy()
		expect(seen.seen).toEqual(['Bearer access-1', 'Bearer access-2'])
	})

	test('the same with the fetch adapter, whose stream bodies are web ReadableStreams', async () => {
		const { tokens } = setup()
		const seen = endpoint(API, '/file', acceptOnly('access-2'))
		const response = await withTokens(axios.create({ baseURL: API, adapter: 'fetch' }), tokens).get('/file', { responseType: 'stream', validateStatus: (status) => status < 500 })
		expect(response.status).toBe(200)
		expect(response.data).toBeInstanceOf(ReadableStream)
		await response.data.cancel()
		expect(seen.seen).toEqual(['Bearer access-1', 'Bearer access-2'])
	})

	test('a second 401 reaches the caller: never a second retry', () => scenarios.secondUnauthorizedReachesCaller(driver))

	test('retryUnauthorized: false surfaces the first 401 (and still drops nothing else)', () => scenarios.noRetryWhenTurnedOff(driver))

	test('a 401 accepted by validateStatus is retried as well', () =>
		scenarios.retriesOnceWithFreshToken(driver, (tokens) => withTokens(axios.create({ baseURL: API, validateStatus: () => true }), tokens)))

	test('a request without a token (other origin, opt-out) is not retried', () => scenarios.noRetryWithoutToken(driver))

	test('100 concurrent requests failing with the same stale token cause one new token request', () => scenarios.concurrentUnauthorizedShareOneRefresh(driver))

	test('a streamed body cannot be replayed: the 401 reaches the caller after one attempt', () =>
		scenarios.streamedBodyNotReplayed(driver, () => Readable.from([Buffer.from('chunk')])))

	test('retryUnauthorized: false still drops the token that got the 401: the next request gets a fresh one', () => scenarios.staleTokenDroppedWithoutRetry(driver))

	test('a 401 on a streamed body drops the token sent: the next request gets a fresh one', () =>
		scenarios.staleTokenDroppedAfterUnreplayableBody(driver, () => Readable.from([Buffer.from('chunk')])))

	test('the fetch adapter (named in the config) is retried as well', () =>
		scenarios.retriesOnceWithFreshToken(driver, (tokens) => withTokens(axios.create({ baseURL: API, adapter: 'fetch' }), tokens)))
})

describe('the retry happens beneath the interceptors: each of them runs once per request', () => {
	/** A client with a request and a response interceptor added after withTokens, and what they saw. */
	function interceptedClient(validateStatus?: (status: number) => boolean) {
		const { tokens, tokenEndpoint } = setup()
		const { seen } = endpoint(API, '/cob', acceptOnly('access-2'))
		const api = withTokens(axios.create({ baseURL: API, ...(validateStatus === undefined ? {} : { validateStatus }) }), tokens)
		const runs = { request: 0, response: 0 }
		api.interceptors.request.use((config) => {
			runs.request++
			return config
		})
		api.interceptors.response.use((response) => {
			runs.response++
			return response.data
		})
		return { api, runs, seen, tokenEndpoint }
	}

	test('a response interceptor added after withTokens that unwraps response.data gets the retried response once', async () => {
		const { api, runs, seen, tokenEndpoint } = interceptedClient()
		expect(await api.get('/cob')).toEqual({ ok: true })
		expect(runs).toEqual({ request: 1, response: 1 })
		expect(seen).toEqual(['Bearer access-1', 'Bearer access-2'])
		expect(tokenEndpoint.count()).toBe(2)
	})

	test('the same with validateStatus: () => true', async () => {
		const { api, runs, seen } = interceptedClient(() => true)
		expect(await api.get('/cob')).toEqual({ ok: true })
		expect(runs).toEqual({ request: 1, response: 1 })
		expect(seen).toEqual(['Bearer access-1', 'Bearer access-2'])
	})

	test('sending a failed request again with its error.config goes through one token adapter: the kept token once, no retry stacked per earlier attempt', async () => {
		const { tokens, tokenEndpoint } = setup()
		const { seen } = endpoint(API, '/cob', () => 401)
		const api = driver.create(tokens)
		const error = (await api.get('/cob').catch((caught: unknown) => caught)) as AxiosError
		expect(error.response?.status).toBe(401)
		await expect(api.request(error.config as AxiosRequestConfig)).rejects.toMatchObject({ response: { status: 401 } })
		// The manager keeps the token it issued for the retry through its cooldown: the resend carries it once.
		expect(seen).toEqual(['Bearer access-1', 'Bearer access-2', 'Bearer access-2'])
		expect(tokenEndpoint.count()).toBe(2)
	})

	test('an adapter of the caller is the one that sends both attempts', async () => {
		const { tokens } = setup()
		const sent: string[] = []
		const adapter: AxiosAdapter = async (config: InternalAxiosRequestConfig) => {
			const authorization = String(config.headers.get('Authorization'))
			sent.push(authorization)
			const status = authorization === 'Bearer access-2' ? 200 : 401
			const response = { data: { ok: status === 200 }, status, statusText: '', headers: {}, config, request: {} }
			if (status === 200) return response
			throw new AxiosError('Unauthorized', AxiosError.ERR_BAD_REQUEST, config, {}, response)
		}
		const api = withTokens(axios.create({ baseURL: API, adapter }), tokens)
		expect((await api.get('/cob')).data).toEqual({ ok: true })
		expect(sent).toEqual(['Bearer access-1', 'Bearer access-2'])
	})
})

describe('errors of the token manager reach the caller unchanged', () => {
	test('an OAuthError from the token endpoint, with no API request made', () => scenarios.tokenEndpointErrorReachesCaller(driver))

	test('a ConsentRequiredError for a subject without consent', () => scenarios.consentRequiredReachesCaller(driver))

	test('an OAuthError while fetching the fresh token for the retry', () => scenarios.tokenErrorOnRetryReachesCaller(driver))
})

test('a client of the CommonJS build of axios gets its own errors, retried or not', async () => {
	const required = createRequire(import.meta.url)('axios') as typeof axios
	expect(required.AxiosError).not.toBe(AxiosError)
	const { tokens } = setup()
	const { seen } = endpoint(API, '/cob', () => 401)
	const error = await withTokens(required.create({ baseURL: API }), tokens)
		.get('/cob')
		.catch((caught: unknown) => caught)
	expect(error).toBeInstanceOf(required.AxiosError)
	expect(seen).toEqual(['Bearer access-1', 'Bearer access-2'])
})

import { Readable } from 'node:stream'
import axios from 'axios'
import { describe, expect, test } from 'vitest'
import { withTokens } from '@tokenwarden/axios'
import { acceptOnly, API, endpoint, scenarios, setup, useNock } from '../../../test-support/adapters.ts'
import { driver } from './driver.ts'

useNock()

describe('after a 401', () => {
	test('the token sent is dropped and the request is retried once with a fresh token', () => scenarios.retriesOnceWithFreshToken(driver))

	test('a POST with a JSON body is replayed with the same body', async () => {
		const { tokens } = setup()
		const bodies: unknown[] = []
		const { seen } = endpoint(API, '/cob', acceptOnly('access-2'), 'post')
		const api = driver.create(tokens)
		api.interceptors.request.use((config) => {
			bodies.push(config.data)
			return config
		})
		await api.post('/cob', { amount: 10 })
		expect(seen).toEqual(['Bearer access-1', 'Bearer access-2'])
		expect(bodies).toHaveLength(2)
	})

	test('a second 401 reaches the caller: never a second retry', () => scenarios.secondUnauthorizedReachesCaller(driver))

	test('retryUnauthorized: false surfaces the first 401 (and still drops nothing else)', () => scenarios.noRetryWhenTurnedOff(driver))

	test('a 401 accepted by validateStatus is retried as well', () =>
		scenarios.retriesOnceWithFreshToken(driver, (tokens) => withTokens(axios.create({ baseURL: API, validateStatus: () => true }), tokens)))

	test('a request without a token (other origin, opt-out) is not retried', () => scenarios.noRetryWithoutToken(driver))

	test('100 concurrent requests failing with the same stale token cause one new token request', () => scenarios.concurrentUnauthorizedShareOneRefresh(driver))

	test('a streamed body cannot be replayed: the 401 reaches the caller after one attempt', () =>
		scenarios.streamedBodyNotReplayed(driver, () => Readable.from([Buffer.from('chunk')])))
})

describe('errors of the token manager reach the caller unchanged', () => {
	test('an OAuthError from the token endpoint, with no API request made', () => scenarios.tokenEndpointErrorReachesCaller(driver))

	test('a ConsentRequiredError for a subject without consent', () => scenarios.consentRequiredReachesCaller(driver))

	test('an OAuthError while fetching the fresh token for the retry', () => scenarios.tokenErrorOnRetryReachesCaller(driver))
})

import { inspect } from 'node:util'
import axios, { type AxiosError } from 'axios'
import { withTokens } from '@tokenwarden/axios'
import { expect, test } from 'vitest'
import { API, endpoint, scenarios, setup, useNock } from '../../../test-support/adapters.ts'
import { driver } from './driver.ts'

useNock()

test('an axios error after the request went out does not show the token when logged or serialised', async () => {
	const error = (await scenarios.httpErrorShowsNoToken(driver)) as AxiosError
	for (const text of [JSON.stringify(error.toJSON()), JSON.stringify(error.config)]) expect(text).not.toContain('access-1')
	// What code asks for explicitly stays there.
	expect(error.request).toBeDefined()
	expect(error.response?.status).toBe(500)
})

test('the final 401 after the retry does not show either token', () => scenarios.finalUnauthorizedShowsNoToken(driver))

test('a successful response does not show the token in its config', async () => {
	const { tokens } = setup()
	endpoint(API, '/cob')
	const response = await driver.create(tokens).get('/cob')
	expect(JSON.stringify(response.config)).not.toContain('access-1')
	expect(inspect(response.config, { depth: 10 })).not.toContain('access-1')
})

test('a config copied by an interceptor that runs after ours still gets the header hidden on its error', async () => {
	const { tokens } = setup()
	endpoint(API, '/cob', () => 500)
	const api = axios.create({ baseURL: API })
	// Added before withTokens, so axios runs it after ours: axios then dispatches a flat copy of the config.
	api.interceptors.request.use((config) => ({ ...config }))
	withTokens(api, tokens)
	const error = (await api.get('/cob').catch((caught: unknown) => caught)) as AxiosError
	expect(error.response?.status).toBe(500)
	for (const text of [JSON.stringify(error.toJSON()), inspect(error, { depth: 10 })]) expect(text).not.toContain('access-1')
})

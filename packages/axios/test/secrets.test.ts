import { inspect } from 'node:util'
import axios, { AxiosError } from 'axios'
import { expect, test } from 'vitest'
import { withTokens } from '@tokenwarden/axios'
import { API, endpoint, setup, useNock } from './helpers.ts'

useNock()

const views = (value: unknown) => ({
	json: JSON.stringify(value),
	inspect: inspect(value),
	deep: inspect(value, { depth: 10 }),
})

test('an axios error after the request went out does not show the token when logged or serialised', async () => {
	const { tokens } = setup()
	const { seen } = endpoint(API, '/cob', () => 500)
	const api = withTokens(axios.create({ baseURL: API }), tokens)
	const error = (await api.get('/cob').catch((caught: unknown) => caught)) as AxiosError
	// The request did carry the token.
	expect(seen).toEqual(['Bearer at-1'])
	expect(error).toBeInstanceOf(AxiosError)
	for (const text of Object.values({ ...views(error), toJSON: JSON.stringify(error.toJSON()), config: JSON.stringify(error.config) })) {
		expect(text).not.toContain('at-1')
	}
	// What code asks for explicitly stays there.
	expect(error.request).toBeDefined()
	expect(error.response?.status).toBe(500)
})

test('the final 401 after the retry does not show either token', async () => {
	const { tokens } = setup()
	endpoint(API, '/cob', () => 401)
	const api = withTokens(axios.create({ baseURL: API }), tokens)
	const error = (await api.get('/cob').catch((caught: unknown) => caught)) as AxiosError
	expect(error.response?.status).toBe(401)
	for (const text of Object.values(views(error))) {
		expect(text).not.toContain('at-1')
		expect(text).not.toContain('at-2')
	}
})

test('a successful response does not show the token in its config', async () => {
	const { tokens } = setup()
	endpoint(API, '/cob')
	const api = withTokens(axios.create({ baseURL: API }), tokens)
	const response = await api.get('/cob')
	expect(JSON.stringify(response.config)).not.toContain('at-1')
	expect(inspect(response.config, { depth: 10 })).not.toContain('at-1')
})

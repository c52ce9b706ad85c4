import axios, { type AxiosAdapter, type InternalAxiosRequestConfig } from 'axios'
import { describe, expect, test } from 'vitest'
import { withTokens } from '@tokenwarden/axios'
import { API, endpoint, scenarios, setup, useNock } from '../../../test-support/adapters.ts'
import { driver } from './driver.ts'

useNock()

describe('which requests get a token', () => {
	test('requests to the baseURL origin carry Authorization: <type> <token>, one token for many requests', () =>
		scenarios.oneTokenForManyRequests(driver, { path: '/cob', urls: ['/cob', 'cob'] }))

	test('an absolute URL or a per-request baseURL to another origin gets no token and asks for none', () =>
		scenarios.noTokenForOtherOrigins(driver, [
			(api) => api.get('https://evil.example.com/steal'),
			(api) => api.get('/steal', { baseURL: 'https://evil.example.com' }),
			// Same host, another scheme or port: another origin.
			(api) => api.get('http://api.example.com/steal'),
			(api) => api.get('https://api.example.com:8443/steal'),
		]))

	test('the origin is decided for each request: other base URLs in between, or a base URL changed after installing', async () => {
		const { tokens } = setup()
		const { seen } = endpoint(API, '/cob')
		const foreign = endpoint('https://evil.example.com', '/cob')
		const api = driver.create(tokens)
		await api.get('/cob')
		await api.get('/cob', { baseURL: 'https://evil.example.com' })
		await api.get('cob')
		api.defaults.baseURL = 'https://evil.example.com'
		await api.get('/cob')
		await api.get(`${API}/cob`)
		expect(seen).toEqual(['Bearer access-1', 'Bearer access-1', 'Bearer access-1'])
		expect(foreign.seen).toEqual([null, null])
	})

	test('a protocol-relative URL is no origin of the client: no token (axios on Node refuses it anyway)', async () => {
		const { tokens, tokenEndpoint } = setup()
		const api = driver.create(tokens)
		await expect(api.get('//evil.example.com/steal')).rejects.toThrow()
		// With allowAbsoluteUrls: false axios joins it to baseURL, so it stays on the API origin.
		const { seen } = endpoint(API, /^\/https:\/+evil\.example\.com\/x$/)
		await api.get('https://evil.example.com/x', { allowAbsoluteUrls: false })
		expect(seen).toEqual(['Bearer access-1'])
		expect(tokenEndpoint.count()).toBe(1)
	})

	test('origins widens the allowed set; other origins still get nothing', () => scenarios.originsWidenTheSet(driver))

	test('the default axios instance works with origins', async () => {
		const { tokens } = setup()
		const { seen } = endpoint(API, '/default')
		const foreign = endpoint('https://evil.example.com', '/default')
		// Vitest isolates test files, so the global instance's interceptors stay within this file.
		withTokens(axios, tokens, { origins: [API] })
		await axios.get(`${API}/default`)
		await axios.get('https://evil.example.com/default')
		expect(seen).toEqual(['Bearer access-1'])
		expect(foreign.seen).toEqual([null])
	})

	test('tokenwarden: false sends no token and requests none; a header of the caller stays', () => scenarios.optOutSendsNoToken(driver))

	test('scope and subject: client defaults, overridden per request', () => scenarios.scopePerRequest(driver))

	test('several clients share one manager and its tokens, each within its own origins', () => scenarios.clientsShareOneManager(driver))

	test('installing twice keeps one set of interceptors; the later options win', async () => {
		const { tokens, tokenEndpoint } = setup()
		const client = axios.create({ baseURL: API })
		const handlers = () =>
			[client.interceptors.request, client.interceptors.response].map((manager) => (manager as unknown as { handlers: unknown[] }).handlers.filter(Boolean).length)
		withTokens(client, tokens, { scope: 'first' })
		const before = handlers()
		const api = withTokens(client, tokens, { scope: 'second' })
		expect(api).toBe(client)
		expect(handlers()).toEqual(before)
		await scenarios.retriesOnceFor(driver, api, tokenEndpoint, 'second')
	})
})

describe('configuration errors are TypeErrors at withTokens time', () => {
	test('a client with no baseURL and no origins', () => {
		const { tokens } = setup()
		expect(() => withTokens(axios.create(), tokens)).toThrow(/^tokenwarden: withTokens cannot tell where tokens may go/)
		expect(() => withTokens(axios.create({ baseURL: '/relative' }), tokens)).toThrow(TypeError)
	})

	test('bad options, origins with a path, a missing manager, not an axios instance', () => {
		const { tokens } = setup()
		const client = axios.create({ baseURL: API })
		expect(() => withTokens(client, tokens, { origin: [API] } as never)).toThrow(/unknown key "origin"/)
		expect(() => withTokens(client, tokens, { origins: ['https://api.example.com/v1'] })).toThrow(/scheme:\/\/host/)
		expect(() => withTokens(client, tokens, { origins: ['api.example.com'] })).toThrow(TypeError)
		expect(() => withTokens(client, tokens, { origins: 'https://x.example.com' as never })).toThrow(TypeError)
		expect(() => withTokens(client, tokens, { retryUnauthorized: 'no' as never })).toThrow(TypeError)
		expect(() => withTokens(client, tokens, { subject: '' })).toThrow(TypeError)
		expect(() => withTokens(client, {} as never)).toThrow(/token manager/)
		expect(() => withTokens({} as never, tokens)).toThrow(/axios instance/)
	})

	test('a bad per-request option rejects that request before anything is sent', () =>
		scenarios.badRequestTokenRejects(driver, [
			[true, /^tokenwarden: request option tokenwarden must be an object or false/],
			[{ scopes: 'x' }, TypeError],
		]))
})

describe('redirects', () => {
	test('a redirect to another origin arrives without the token; one within the origin keeps it', () => scenarios.redirectKeepsTokenWithinOrigin(driver))

	test('the request carries a beforeRedirect guard that drops the token for origins outside the set, whatever the axios version', async () => {
		const { tokens } = setup()
		const calls: string[] = []
		const redirects: Record<string, Record<string, string>> = {}
		// An adapter that plays follow-redirects: it calls the config's beforeRedirect for each hop.
		const adapter: AxiosAdapter = async (config: InternalAxiosRequestConfig) => {
			for (const href of ['https://api.example.com/next', 'https://files.example.com/doc', 'https://sub.api.example.com/x', 'http://api.example.com/x']) {
				const options = { href, headers: { ...config.headers.toJSON(), authorization: String(config.headers.get('Authorization')) } as Record<string, string> }
				config.beforeRedirect?.(options, { headers: {}, statusCode: 302 }, { headers: {}, url: `${API}/start`, method: 'GET' })
				redirects[href] = options.headers
			}
			return { data: {}, status: 200, statusText: 'OK', headers: {}, config }
		}
		const api = withTokens(axios.create({ baseURL: API, adapter }), tokens, { origins: ['https://files.example.com'] })
		await api.get('/start', { beforeRedirect: () => calls.push('caller') })
		expect(redirects['https://api.example.com/next']?.authorization).toBe('Bearer access-1')
		expect(redirects['https://files.example.com/doc']?.authorization).toBe('Bearer access-1')
		expect(redirects['https://sub.api.example.com/x']).not.toHaveProperty('authorization')
		expect(redirects['https://sub.api.example.com/x']).not.toHaveProperty('Authorization')
		expect(redirects['http://api.example.com/x']).not.toHaveProperty('authorization')
		// The caller's own beforeRedirect still runs, once per hop.
		expect(calls).toHaveLength(4)
	})
})

import axios, { type AxiosAdapter, type InternalAxiosRequestConfig } from 'axios'
import { afterEach, describe, expect, test } from 'vitest'
import { withTokens } from '@tokenwarden/axios'
import { API, endpoint, setup, startServer, useNock } from './helpers.ts'

useNock()

describe('which requests get a token', () => {
	test('requests to the baseURL origin carry Authorization: <type> <token>, one token for many requests', async () => {
		const { tokens, tokenRequests } = setup()
		const { seen } = endpoint(API, '/cob')
		const api = withTokens(axios.create({ baseURL: API }), tokens)
		await api.get('/cob')
		await api.get('cob')
		expect(seen).toEqual(['Bearer at-1', 'Bearer at-1'])
		expect(tokenRequests()).toBe(1)
	})

	test('an absolute URL or a per-request baseURL to another origin gets no token and asks for none', async () => {
		const { tokens, tokenRequests } = setup()
		const foreign = endpoint('https://evil.example.com', '/steal')
		const api = withTokens(axios.create({ baseURL: API }), tokens)
		await api.get('https://evil.example.com/steal')
		await api.get('/steal', { baseURL: 'https://evil.example.com' })
		// Same host, another scheme or port: another origin.
		const plain = endpoint('http://api.example.com', '/steal')
		const port = endpoint('https://api.example.com:8443', '/steal')
		await api.get('http://api.example.com/steal')
		await api.get('https://api.example.com:8443/steal')
		expect([...foreign.seen, ...plain.seen, ...port.seen]).toEqual([null, null, null, null])
		expect(tokenRequests()).toBe(0)
	})

	test('a protocol-relative URL is no origin of the client: no token (axios on Node refuses it anyway)', async () => {
		const { tokens, tokenRequests } = setup()
		const api = withTokens(axios.create({ baseURL: API }), tokens)
		await expect(api.get('//evil.example.com/steal')).rejects.toThrow()
		// With allowAbsoluteUrls: false axios joins it to baseURL, so it stays on the API origin.
		const { seen } = endpoint(API, /^\/https:\/+evil\.example\.com\/x$/)
		await api.get('https://evil.example.com/x', { allowAbsoluteUrls: false })
		expect(seen).toEqual(['Bearer at-1'])
		expect(tokenRequests()).toBe(1)
	})

	test('origins widens the allowed set; other origins still get nothing', async () => {
		const { tokens } = setup()
		const other = endpoint('https://files.example.com', '/doc')
		const foreign = endpoint('https://evil.example.com', '/doc')
		const api = withTokens(axios.create({ baseURL: API }), tokens, { origins: ['https://files.example.com'] })
		await api.get('https://files.example.com/doc')
		await api.get('https://evil.example.com/doc')
		expect(other.seen).toEqual(['Bearer at-1'])
		expect(foreign.seen).toEqual([null])
	})

	test('the default axios instance works with origins', async () => {
		const { tokens } = setup()
		const { seen } = endpoint(API, '/default')
		const foreign = endpoint('https://evil.example.com', '/default')
		// Vitest isolates test files, so the global instance's interceptors stay within this file.
		withTokens(axios, tokens, { origins: [API] })
		await axios.get(`${API}/default`)
		await axios.get('https://evil.example.com/default')
		expect(seen).toEqual(['Bearer at-1'])
		expect(foreign.seen).toEqual([null])
	})

	test('tokenwarden: false sends no token and requests none; a header of the caller stays', async () => {
		const { tokens, tokenRequests } = setup()
		const { seen } = endpoint(API, '/health')
		const api = withTokens(axios.create({ baseURL: API }), tokens)
		await api.get('/health', { tokenwarden: false })
		await api.get('/health', { tokenwarden: false, headers: { Authorization: 'Basic mine' } })
		expect(seen).toEqual([null, 'Basic mine'])
		expect(tokenRequests()).toBe(0)
	})

	test('scope and subject: client defaults, overridden per request', async () => {
		const { tokens, forms } = setup({ scope: 'manager.default' })
		const { seen } = endpoint(API, '/cob')
		const api = withTokens(axios.create({ baseURL: API }), tokens, { scope: 'cob.read' })
		await api.get('/cob')
		await api.get('/cob', { tokenwarden: { scope: ['cob.write'] } })
		await api.get('/cob', { tokenwarden: {} })
		expect(forms.map((form) => form.scope)).toEqual(['cob.read', 'cob.write'])
		expect(seen).toEqual(['Bearer at-1', 'Bearer at-2', 'Bearer at-1'])
	})

	test('several clients share one manager and its tokens, each within its own origins', async () => {
		const { tokens, tokenRequests } = setup()
		const one = endpoint(API, '/one')
		const two = endpoint('https://api2.example.com', '/two')
		const first = withTokens(axios.create({ baseURL: API }), tokens)
		const second = withTokens(axios.create({ baseURL: 'https://api2.example.com' }), tokens)
		await Promise.all([first.get('/one'), second.get('/two'), first.get('https://api2.example.com/two')])
		expect(one.seen).toEqual(['Bearer at-1'])
		expect(two.seen.sort()).toEqual([null, 'Bearer at-1'].sort())
		expect(tokenRequests()).toBe(1)
	})

	test('installing twice keeps one set of interceptors; the later options win', async () => {
		const { tokens, forms } = setup()
		const { seen } = endpoint(API, '/cob', (authorization, count) => (count === 1 ? 401 : 200))
		const client = axios.create({ baseURL: API })
		const handlers = () => [client.interceptors.request, client.interceptors.response].map((manager) => (manager as unknown as { handlers: unknown[] }).handlers.filter(Boolean).length)
		withTokens(client, tokens, { scope: 'first' })
		const before = handlers()
		const api = withTokens(client, tokens, { scope: 'second' })
		expect(api).toBe(client)
		expect(handlers()).toEqual(before)
		await api.get('/cob')
		// One retry after the 401, not one per installation.
		expect(seen).toEqual(['Bearer at-1', 'Bearer at-2'])
		expect(forms.map((form) => form.scope)).toEqual(['second', 'second'])
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

	test('a bad per-request option rejects that request before anything is sent', async () => {
		const { tokens, tokenRequests } = setup()
		const { seen } = endpoint(API, '/cob')
		const api = withTokens(axios.create({ baseURL: API }), tokens)
		await expect(api.get('/cob', { tokenwarden: true as never })).rejects.toThrow(/^tokenwarden: request option tokenwarden must be an object or false/)
		await expect(api.get('/cob', { tokenwarden: { scopes: 'x' } as never })).rejects.toThrow(TypeError)
		expect(seen).toEqual([])
		expect(tokenRequests()).toBe(0)
	})
})

describe('redirects', () => {
	const servers: { close(): Promise<void> }[] = []
	afterEach(async () => {
		await Promise.all(servers.splice(0).map((server) => server.close()))
	})

	test('a redirect to another origin arrives without the token; one within the origin keeps it', async () => {
		const { tokens } = setup()
		const other = await startServer(() => ({ status: 200 }))
		const home = await startServer((path) => {
			if (path === '/away') return { status: 302, location: `${other.origin}/landing` }
			if (path === '/stay') return { status: 302, location: '/landing' }
			return { status: 200 }
		})
		servers.push(other, home)
		const api = withTokens(axios.create({ baseURL: home.origin }), tokens)
		await api.get('/away')
		await api.get('/stay')
		expect(other.seen).toEqual([{ path: '/landing', authorization: undefined }])
		expect(home.seen).toEqual([
			{ path: '/away', authorization: 'Bearer at-1' },
			{ path: '/stay', authorization: 'Bearer at-1' },
			{ path: '/landing', authorization: 'Bearer at-1' },
		])
	})

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
		expect(redirects['https://api.example.com/next']?.authorization).toBe('Bearer at-1')
		expect(redirects['https://files.example.com/doc']?.authorization).toBe('Bearer at-1')
		expect(redirects['https://sub.api.example.com/x']).not.toHaveProperty('authorization')
		expect(redirects['https://sub.api.example.com/x']).not.toHaveProperty('Authorization')
		expect(redirects['http://api.example.com/x']).not.toHaveProperty('authorization')
		// The caller's own beforeRedirect still runs, once per hop.
		expect(calls).toHaveLength(4)
	})
})

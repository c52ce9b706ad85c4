import ky, { type Hooks, HTTPError, type KyInstance } from 'ky'
import { afterEach, describe, expect, test } from 'vitest'
import { tokenHooks, withTokens } from '@tokenwarden/ky'
import { API, endpoint, setup, startServer, useNock } from './helpers.ts'

useNock()

/** The hooks an instance carries, read through ky's own extend(function). */
function hooksOf(client: KyInstance): Hooks {
	let hooks: Hooks = {}
	client.extend((parent) => {
		hooks = parent.hooks ?? {}
		return {}
	})
	return hooks
}

describe('which requests get a token', () => {
	test('requests to the baseUrl origin carry Authorization: <type> <token>, one token for many requests', async () => {
		const { tokens, tokenRequests } = setup()
		const { seen } = endpoint(API, '/v1/cob')
		const api = withTokens(ky.create({ baseUrl: `${API}/v1/` }), tokens)
		await api.get('cob')
		await api.get('/v1/cob')
		expect(seen).toEqual(['Bearer at-1', 'Bearer at-1'])
		expect(tokenRequests()).toBe(1)
	})

	test('an absolute prefix, or a relative prefix on a baseUrl, gives the origin', async () => {
		const { tokens } = setup()
		const { seen } = endpoint(API, '/v2/cob')
		await withTokens(ky.create({ prefix: `${API}/v2` }), tokens).get('cob')
		await withTokens(ky.create({ baseUrl: API, prefix: '/v2' }), tokens).get('cob')
		expect(seen).toEqual(['Bearer at-1', 'Bearer at-1'])
	})

	test('an absolute URL, or a per-request baseUrl or prefix, to another origin gets no token and asks for none', async () => {
		const { tokens, tokenRequests } = setup()
		const foreign = endpoint('https://evil.example.com', '/steal')
		const plain = endpoint('http://api.example.com', '/steal')
		const api = withTokens(ky.create({ baseUrl: API }), tokens)
		await api.get('https://evil.example.com/steal')
		await api.get('steal', { baseUrl: 'https://evil.example.com' })
		await api.get('steal', { prefix: 'https://evil.example.com' })
		await api.get('//evil.example.com/steal')
		await api.get('http://api.example.com/steal')
		expect([...foreign.seen, ...plain.seen]).toEqual([null, null, null, null, null])
		expect(tokenRequests()).toBe(0)
	})

	test('the origin checked is that of the request sent, after every hook: a hook pointing it elsewhere sends no token', async () => {
		const { tokens } = setup()
		const foreign = endpoint('https://evil.example.com', '/moved')
		const api = withTokens(ky.create({ baseUrl: API }), tokens).extend({
			hooks: { beforeRequest: [({ request }) => new Request('https://evil.example.com/moved', request)] },
		})
		await api.get('cob')
		expect(foreign.seen).toEqual([null])
	})

	test('origins widens the allowed set; other origins still get nothing', async () => {
		const { tokens } = setup()
		const other = endpoint('https://files.example.com', '/doc')
		const foreign = endpoint('https://evil.example.com', '/doc')
		const api = withTokens(ky.create({ baseUrl: API }), tokens, { origins: ['https://files.example.com'] })
		await api.get('https://files.example.com/doc')
		await api.get('https://evil.example.com/doc')
		expect(other.seen).toEqual(['Bearer at-1'])
		expect(foreign.seen).toEqual([null])
	})

	test('tokenHooks on ky.create, and the default ky instance through withTokens with origins', async () => {
		const { tokens } = setup()
		const { seen } = endpoint(API, '/cob')
		const foreign = endpoint('https://evil.example.com', '/cob')
		const hooked = ky.create({ hooks: tokenHooks(tokens, { origins: [API] }) })
		await hooked.get(`${API}/cob`)
		await hooked.get('https://evil.example.com/cob')
		await withTokens(ky, tokens, { origins: [API] }).get(`${API}/cob`)
		expect(seen).toEqual(['Bearer at-1', 'Bearer at-1'])
		expect(foreign.seen).toEqual([null])
	})

	test('context.tokenwarden: false sends no token and requests none; a header of the caller stays', async () => {
		const { tokens, tokenRequests } = setup()
		const { seen } = endpoint(API, '/health')
		const api = withTokens(ky.create({ baseUrl: API }), tokens)
		await api.get('health', { context: { tokenwarden: false } })
		await api.get('health', { context: { tokenwarden: false }, headers: { authorization: 'Basic mine' } })
		expect(seen).toEqual([null, 'Basic mine'])
		expect(tokenRequests()).toBe(0)
	})

	test('scope and subject: client defaults, overridden per request through context', async () => {
		const { tokens, forms } = setup({ scope: 'manager.default' })
		const { seen } = endpoint(API, '/cob')
		const api = withTokens(ky.create({ baseUrl: API }), tokens, { scope: 'cob.read' })
		await api.get('cob')
		await api.get('cob', { context: { tokenwarden: { scope: ['cob.write'] } } })
		await api.get('cob', { context: { other: 1 } })
		expect(forms.map((form) => form.scope)).toEqual(['cob.read', 'cob.write'])
		expect(seen).toEqual(['Bearer at-1', 'Bearer at-2', 'Bearer at-1'])
	})

	test('ky.extend chains keep the hooks; an instance context default applies', async () => {
		const { tokens, tokenRequests } = setup()
		const { seen } = endpoint(API, '/cob')
		const api = withTokens(ky.create({ baseUrl: API }), tokens)
		const child = api.extend({ headers: { 'x-trace': '1' } })
		const quiet = api.extend({ context: { tokenwarden: false } })
		const before = withTokens(ky.create({ baseUrl: API }).extend({ timeout: 5_000 }), tokens)
		await child.get('cob')
		await quiet.get('cob')
		await before.get('cob')
		expect(seen).toEqual(['Bearer at-1', null, 'Bearer at-1'])
		expect(tokenRequests()).toBe(1)
	})

	test('several clients share one manager and its tokens, each within its own origins', async () => {
		const { tokens, tokenRequests } = setup()
		const one = endpoint(API, '/one')
		const two = endpoint('https://api2.example.com', '/two')
		const first = withTokens(ky.create({ baseUrl: API }), tokens)
		const second = withTokens(ky.create({ baseUrl: 'https://api2.example.com' }), tokens)
		await Promise.all([first.get('one'), second.get('two'), first.get('https://api2.example.com/two')])
		expect(one.seen).toEqual(['Bearer at-1'])
		expect(two.seen.sort()).toEqual([null, 'Bearer at-1'].sort())
		expect(tokenRequests()).toBe(1)
	})

	test('installing twice, or over tokenHooks, keeps one set of hooks; the later options win', async () => {
		const { tokens, forms } = setup()
		const { seen } = endpoint(API, '/cob', (_authorization, count) => (count === 1 ? 401 : 200))
		const mine = () => {}
		const earlier = tokenHooks(tokens, { origins: [API], scope: 'zero' })
		const base = ky.create({ baseUrl: API, hooks: { ...earlier, init: [mine, ...(earlier.init ?? [])] } })
		const api = withTokens(withTokens(base, tokens, { scope: 'first' }), tokens, { scope: 'second' })
		const hooks = hooksOf(api)
		expect(hooks.init).toHaveLength(2)
		expect(hooks.init?.[0]).toBe(mine)
		expect(hooks.beforeError).toHaveLength(1)
		await api.get('cob')
		// One retry after the 401, not one per installation.
		expect(seen).toEqual(['Bearer at-1', 'Bearer at-2'])
		expect(forms.map((form) => form.scope)).toEqual(['second', 'second'])
	})

	test('the same hooks twice on one chain: the first installation handles each call alone', async () => {
		const { tokens, forms } = setup()
		const { seen } = endpoint(API, '/cob', (_authorization, count) => (count === 1 ? 401 : 200))
		const api = ky.create({ baseUrl: API, hooks: tokenHooks(tokens, { origins: [API], scope: 'one' }) }).extend({ hooks: tokenHooks(tokens, { origins: [API], scope: 'two' }) })
		await api.get('cob')
		expect(seen).toEqual(['Bearer at-1', 'Bearer at-2'])
		expect(forms.map((form) => form.scope)).toEqual(['one', 'one'])
		// The first one does not retry: the second must not either.
		const { seen: noRetry } = endpoint(API, '/other', () => 401)
		const strict = ky.create({ baseUrl: API, hooks: tokenHooks(tokens, { origins: [API], retryUnauthorized: false }) }).extend({ hooks: tokenHooks(tokens, { origins: [API] }) })
		await expect(strict.get('other')).rejects.toBeInstanceOf(HTTPError)
		expect(noRetry).toHaveLength(1)
	})
})

describe('configuration errors are TypeErrors at setup time', () => {
	test('a client with no base URL and no origins; tokenHooks without origins', () => {
		const { tokens } = setup()
		expect(() => withTokens(ky.create(), tokens)).toThrow(/^tokenwarden: withTokens cannot tell where tokens may go/)
		expect(() => withTokens(ky, tokens)).toThrow(TypeError)
		expect(() => withTokens(ky.create({ prefix: '/api' }), tokens)).toThrow(TypeError)
		expect(() => tokenHooks(tokens, {} as never)).toThrow(/^tokenwarden: tokenHooks cannot tell where tokens may go/)
	})

	test('bad options, origins with a path, a missing manager, not a ky instance', () => {
		const { tokens } = setup()
		const client = ky.create({ baseUrl: API })
		expect(() => withTokens(client, tokens, { origin: [API] } as never)).toThrow(/unknown key "origin"/)
		expect(() => withTokens(client, tokens, { origins: ['https://api.example.com/v1'] })).toThrow(/scheme:\/\/host/)
		expect(() => withTokens(client, tokens, { origins: ['https://user:pw@api.example.com'] })).toThrow(TypeError)
		expect(() => withTokens(client, tokens, { scope: 3 as never })).toThrow(TypeError)
		expect(() => withTokens(client, {} as never)).toThrow(/token manager/)
		expect(() => withTokens({} as never, tokens)).toThrow(/ky instance/)
	})

	test('a bad context.tokenwarden rejects that request before anything is sent', async () => {
		const { tokens, tokenRequests } = setup()
		const { seen } = endpoint(API, '/cob')
		const api = withTokens(ky.create({ baseUrl: API }), tokens)
		await expect(api.get('cob', { context: { tokenwarden: true } })).rejects.toThrow(/^tokenwarden: context.tokenwarden must be an object or false/)
		await expect(api.get('cob', { context: { tokenwarden: { subject: '' } } })).rejects.toThrow(TypeError)
		expect(seen).toEqual([])
		expect(tokenRequests()).toBe(0)
	})
})

describe('redirects (real servers: fetch follows them)', () => {
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
		const api = withTokens(ky.create({ baseUrl: home.origin }), tokens)
		await api.get('away')
		await api.get('stay')
		expect(other.seen).toEqual([{ path: '/landing', authorization: undefined }])
		expect(home.seen).toEqual([
			{ path: '/away', authorization: 'Bearer at-1' },
			{ path: '/stay', authorization: 'Bearer at-1' },
			{ path: '/landing', authorization: 'Bearer at-1' },
		])
	})

	test('a 401 from the other origin after a redirect is not taken for a stale token', async () => {
		const { tokens, tokenRequests } = setup()
		const other = await startServer(() => ({ status: 401 }))
		const home = await startServer(() => ({ status: 302, location: `${other.origin}/landing` }))
		servers.push(other, home)
		const api = withTokens(ky.create({ baseUrl: home.origin }), tokens)
		await expect(api.get('away')).rejects.toMatchObject({ response: { status: 401 } })
		expect(home.seen).toHaveLength(1)
		expect(tokenRequests()).toBe(1)
	})
})

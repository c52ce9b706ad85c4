import ky, { type Hooks, HTTPError, type KyInstance } from 'ky'
import { inspect } from 'node:util'
import { describe, expect, test } from 'vitest'
import { tokenHooks, withTokens } from '@tokenwarden/ky'
import { API, endpoint, scenarios, setup, startServer, useNock } from '../../../test-support/adapters.ts'
import { driver } from './driver.ts'

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
	test('requests to the baseUrl origin carry Authorization: <type> <token>, one token for many requests', () =>
		scenarios.oneTokenForManyRequests(driver, { base: `${API}/v1/`, path: '/v1/cob', urls: ['cob', '/v1/cob'] }))

	test('an absolute prefix, or a relative prefix on a baseUrl, gives the origin', async () => {
		const { tokens } = setup()
		const { seen } = endpoint(API, '/v2/cob')
		await withTokens(ky.create({ prefix: `${API}/v2` }), tokens).get('cob')
		await withTokens(ky.create({ baseUrl: API, prefix: '/v2' }), tokens).get('cob')
		expect(seen).toEqual(['Bearer access-1', 'Bearer access-1'])
	})

	test('an absolute URL, or a per-request baseUrl or prefix, to another origin gets no token and asks for none', () =>
		scenarios.noTokenForOtherOrigins(driver, [
			(api) => api.get('https://evil.example.com/steal'),
			(api) => api.get('steal', { baseUrl: 'https://evil.example.com' }),
			(api) => api.get('steal', { prefix: 'https://evil.example.com' }),
			(api) => api.get('//evil.example.com/steal'),
			(api) => api.get('http://api.example.com/steal'),
		]))

	test('the origin checked is that of the request sent, after every hook: a hook pointing it elsewhere sends no token', async () => {
		const { tokens } = setup()
		const foreign = endpoint('https://evil.example.com', '/moved')
		const api = driver.create(tokens).extend({
			hooks: { beforeRequest: [({ request }) => new Request('https://evil.example.com/moved', request)] },
		})
		await api.get('cob')
		expect(foreign.seen).toEqual([null])
	})

	test('origins widens the allowed set; other origins still get nothing', () => scenarios.originsWidenTheSet(driver))

	test('tokenHooks on ky.create, and the default ky instance through withTokens with origins', async () => {
		const { tokens } = setup()
		const { seen } = endpoint(API, '/cob')
		const foreign = endpoint('https://evil.example.com', '/cob')
		const hooked = ky.create({ hooks: tokenHooks(tokens, { origins: [API] }) })
		await hooked.get(`${API}/cob`)
		await hooked.get('https://evil.example.com/cob')
		await withTokens(ky, tokens, { origins: [API] }).get(`${API}/cob`)
		expect(seen).toEqual(['Bearer access-1', 'Bearer access-1'])
		expect(foreign.seen).toEqual([null])
	})

	test('context.tokenwarden: false sends no token and requests none; a header of the caller stays', () => scenarios.optOutSendsNoToken(driver))

	test('scope and subject: client defaults, overridden per request through context', () => scenarios.scopePerRequest(driver, (api) => api.get('cob', { context: { other: 1 } })))

	test('ky.extend chains keep the hooks; an instance context default applies', async () => {
		const { tokens, tokenEndpoint } = setup()
		const { seen } = endpoint(API, '/cob')
		const api = driver.create(tokens)
		const child = api.extend({ headers: { 'x-trace': '1' } })
		const quiet = api.extend({ context: { tokenwarden: false } })
		const before = withTokens(ky.create({ baseUrl: API }).extend({ timeout: 5_000 }), tokens)
		await child.get('cob')
		await quiet.get('cob')
		await before.get('cob')
		expect(seen).toEqual(['Bearer access-1', null, 'Bearer access-1'])
		expect(tokenEndpoint.count()).toBe(1)
	})

	test('several clients share one manager and its tokens, each within its own origins', () => scenarios.clientsShareOneManager(driver))

	test('installing twice, or over tokenHooks, keeps one set of hooks; the later options win', async () => {
		const { tokens, tokenEndpoint } = setup()
		const mine = () => {}
		const earlier = tokenHooks(tokens, { origins: [API], scope: 'zero' })
		const base = ky.create({ baseUrl: API, hooks: { ...earlier, init: [mine, ...(earlier.init ?? [])] } })
		const api = withTokens(withTokens(base, tokens, { scope: 'first' }), tokens, { scope: 'second' })
		const hooks = hooksOf(api)
		expect(hooks.init).toHaveLength(2)
		expect(hooks.init?.[0]).toBe(mine)
		expect(hooks.beforeError).toHaveLength(1)
		await scenarios.retriesOnceFor(driver, api, tokenEndpoint, 'second')
	})

	test('the same hooks twice on one chain: the first installation handles each call alone', async () => {
		const { tokens, tokenEndpoint } = setup()
		const api = ky.create({ baseUrl: API, hooks: tokenHooks(tokens, { origins: [API], scope: 'one' }) }).extend({ hooks: tokenHooks(tokens, { origins: [API], scope: 'two' }) })
		await scenarios.retriesOnceFor(driver, api, tokenEndpoint, 'one')
		// The first one does not retry: the second must not either.
		const { seen: noRetry } = endpoint(API, '/other', () => 401)
		const strict = ky.create({ baseUrl: API, hooks: tokenHooks(tokens, { origins: [API], retryUnauthorized: false }) }).extend({ hooks: tokenHooks(tokens, { origins: [API] }) })
		await expect(strict.get('other')).rejects.toBeInstanceOf(HTTPError)
		expect(noRetry).toHaveLength(1)
	})

	test("the application's hooks see the call's context as it was given: nothing of the adapter in its keys, JSON or inspection", async () => {
		const { tokens } = setup()
		const { seen } = endpoint(API, '/cob')
		const contexts: unknown[] = []
		const api = withTokens(ky.create({ baseUrl: API }), tokens).extend({
			hooks: { beforeRequest: [({ options }: { options: { context: unknown } }) => void contexts.push(options.context)] } as unknown as Hooks,
		})
		await api.get('cob', { context: { traceId: 't-1' } })
		await api.get('cob')
		expect(seen).toEqual(['Bearer access-1', 'Bearer access-1'])
		expect(contexts.map((context) => [Object.keys(context as object), JSON.stringify(context), inspect(context)])).toEqual([
			[['traceId'], '{"traceId":"t-1"}', "{ traceId: 't-1' }"],
			[[], '{}', '{}'],
		])
	})
})

describe('configuration errors are TypeErrors at setup time', () => {
	test('a client with no base URL and no origins', () => {
		const { tokens } = setup()
		expect(() => withTokens(ky.create(), tokens)).toThrow(/^tokenwarden: withTokens cannot tell where tokens may go/)
		expect(() => withTokens(ky, tokens)).toThrow(TypeError)
		expect(() => withTokens(ky.create({ prefix: '/api' }), tokens)).toThrow(TypeError)
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

	test('a bad context.tokenwarden rejects that request before anything is sent', () =>
		scenarios.badRequestTokenRejects(driver, [
			[true, /^tokenwarden: context.tokenwarden must be an object or false/],
			[{ subject: '' }, TypeError],
		]))
})

describe('redirects (real servers: fetch follows them)', () => {
	test('a redirect to another origin arrives without the token; one within the origin keeps it', () => scenarios.redirectKeepsTokenWithinOrigin(driver))

	test('a 401 from the other origin after a redirect is not taken for a stale token', async () => {
		const { tokens, tokenEndpoint } = setup()
		const other = await startServer(() => ({ status: 401 }))
		const home = await startServer(() => ({ status: 302, location: `${other.origin}/landing` }))
		const api = driver.create(tokens, undefined, home.origin)
		await expect(api.get('away')).rejects.toMatchObject({ response: { status: 401 } })
		expect(home.seen).toHaveLength(1)
		expect(tokenEndpoint.count()).toBe(1)
	})
})

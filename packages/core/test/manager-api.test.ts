import nock from 'nock'
import { describe, expect, it, vi } from 'vitest'
import { createTokenManager, memoryStore, type StoredTokenSet, type TokenManagerOptions, type TokenStore } from '@tokenwarden/core'
import { CLIENT_ID, CLIENT_SECRET, ISSUER, recorder, setup, slowly, TOKEN_PATH, TOKEN_URL, tokenReplies, useNock } from './helpers.ts'

useNock()

const valid = { tokenUrl: TOKEN_URL, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET }

describe('options are checked when the manager is created', () => {
	it.each([
		['a missing tokenUrl', { ...valid, tokenUrl: undefined }, /expected tokenUrl to be an http\(s\) URL string, got undefined/],
		['a relative tokenUrl', { ...valid, tokenUrl: '/oauth/token' }, /expected tokenUrl to be an absolute http\(s\) URL/],
		['a non-http tokenUrl', { ...valid, tokenUrl: 'ftp://auth.example.com/token' }, /expected tokenUrl to be an http\(s\) URL/],
		['credentials in the tokenUrl', { ...valid, tokenUrl: 'https://u:p@auth.example.com/token' }, /expected tokenUrl to be a URL without credentials/],
		['a missing clientId', { ...valid, clientId: '' }, /expected clientId to be a non-empty string, got an empty string/],
		['a missing clientSecret', { ...valid, clientSecret: undefined }, /expected clientSecret to be a non-empty string for client_secret_basic, got undefined/],
		['an unknown clientAuth', { ...valid, clientAuth: 'magic' }, /expected clientAuth to be one of 'client_secret_basic'/],
		['a secret with clientAuth none', { ...valid, clientAuth: 'none' }, /clientSecret is not used with none/],
		['private_key_jwt without a key', { tokenUrl: TOKEN_URL, clientId: 'a', clientAuth: 'private_key_jwt' }, /expected privateKey to be a private JWK.*privateKey is required/],
		['tls_client_auth without a certificate', { tokenUrl: TOKEN_URL, clientId: 'a', clientAuth: 'tls_client_auth' }, /expected tls to be a client certificate for tls_client_auth/],
		['a negative refreshAhead', { ...valid, refreshAhead: -1 }, /expected refreshAhead to be a number of milliseconds from 0 to 2147483647, got -1/],
		['a timeout of 0', { ...valid, timeout: 0 }, /expected timeout to be a number of milliseconds from 1 to 2147483647, got 0/],
		['seconds as a string', { ...valid, expiryMargin: '10' }, /expected expiryMargin to be a number of milliseconds .*, got "10"/],
		['a bad rate limit', { ...valid, rateLimit: { limit: 0, interval: 1000 } }, /expected rateLimit.limit to be an integer of at least 1, got 0/],
		['a store without compareAndDelete', { ...valid, store: { get() {}, set() {}, delete() {} } }, /expected store.compareAndDelete to be a function, got undefined/],
		['a scope that is a number', { ...valid, scope: 42 }, /expected scope to be a space-separated string or an array of strings, got 42/],
		['tls and fetch together', { ...valid, tls: { cert: 'c', key: 'k' }, fetch: globalThis.fetch }, /give tls or fetch, not both/],
		['an unknown basicAuthEncoding', { ...valid, basicAuthEncoding: 'base64' }, /expected basicAuthEncoding to be one of 'form-urlencoded', 'raw', got "base64"/],
		['a logger without warn', { ...valid, logger: { debug() {}, info() {}, error() {} } }, /expected logger.warn to be a function, got undefined/],
	])('%s is a TypeError', (_label, options, message) => {
		expect(() => createTokenManager(options as unknown as TokenManagerOptions)).toThrowError(TypeError)
		expect(() => createTokenManager(options as unknown as TokenManagerOptions)).toThrowError(message)
	})

	it('rejects a bad getToken argument with a TypeError', async () => {
		const { tokens } = setup()
		await expect(tokens.getToken({ scope: 5 as unknown as string })).rejects.toBeInstanceOf(TypeError)
		await expect(tokens.getToken({ subject: '' })).rejects.toBeInstanceOf(TypeError)
	})

	it('accepts plain http (test servers) but warns about it', () => {
		const warnings: string[] = []
		const log = () => {}
		createTokenManager({ ...valid, tokenUrl: 'http://auth.internal/token', logger: { debug: log, info: log, error: log, warn: (message) => warnings.push(message) } })
		expect(warnings.join()).toMatch(/not https/)
	})
})

describe('invalidate', () => {
	it('drops the token only while it is still the cached one', async () => {
		const replies = tokenReplies()
		nock(ISSUER).post(TOKEN_PATH).times(3).reply(replies.reply)
		const { tokens } = setup()
		const first = await tokens.getToken()
		expect(await tokens.invalidate(first)).toBe(true)
		const second = await tokens.getToken()
		expect(second.accessToken).toBe('at-2')
		// A late invalidate of the old token must not drop the new one.
		expect(await tokens.invalidate(first)).toBe(false)
		expect((await tokens.getToken()).accessToken).toBe('at-2')
		expect(replies.count()).toBe(2)
	})

	it('100 callers invalidating the same stale token cause one new token request', async () => {
		const replies = tokenReplies()
		nock(ISSUER).post(TOKEN_PATH).times(5).reply(replies.reply)
		const { tokens } = setup()
		const stale = await tokens.getToken()
		const fresh = await Promise.all(
			Array.from({ length: 100 }, async () => {
				await tokens.invalidate(stale)
				return tokens.getToken()
			}),
		)
		expect(new Set(fresh.map((token) => token.accessToken))).toEqual(new Set(['at-2']))
		expect(replies.count()).toBe(2)
	})

	it('accepts the access token string, and takes effect before it resolves', async () => {
		const replies = tokenReplies()
		nock(ISSUER).post(TOKEN_PATH).times(2).reply(replies.reply)
		const { tokens, events } = setup()
		const first = await tokens.getToken()
		void tokens.invalidate(first.accessToken)
		expect((await tokens.getToken()).accessToken).toBe('at-2')
		expect(events.filter((event) => event.type === 'invalidate')).toHaveLength(1)
	})

	it('compares and deletes in the shared store too, and never adopts the invalidated token back from it', async () => {
		const store = memoryStore()
		const replies = tokenReplies()
		nock(ISSUER).post(TOKEN_PATH).times(2).reply(replies.reply)
		const a = createTokenManager({ ...valid, store })
		const b = createTokenManager({ ...valid, store })
		const first = await a.getToken()
		expect((await b.getToken()).accessToken).toBe(first.accessToken)
		await a.invalidate(first)
		// A fresh manager on the same store finds nothing to reuse: the entry is gone there too.
		const c = createTokenManager({ ...valid, store })
		expect((await c.getToken()).accessToken).toBe('at-2')
		expect((await a.getToken()).accessToken).toBe('at-2')
		expect(replies.count()).toBe(2)
	})
})

describe('a late result never overwrites a newer token', () => {
	it('in a shared store, a slow request finishing last does not replace the newer token', async () => {
		const store = memoryStore()
		let n = 0
		nock(ISSUER)
			.post(TOKEN_PATH)
			.reply(slowly(150, () => [200, { access_token: `slow-${++n}`, token_type: 'Bearer', expires_in: 3600 }]))
		nock(ISSUER)
			.post(TOKEN_PATH)
			.reply(slowly(10, () => [200, { access_token: `fast-${++n}`, token_type: 'Bearer', expires_in: 3600 }]))
		const writes: StoredTokenSet[] = []
		const spying: TokenStore = { ...store, set: (key, value, options) => (writes.push(value), store.set(key, value, options)) }
		const a = createTokenManager({ ...valid, store: spying })
		const slow = a.getToken()
		await new Promise((resolve) => setTimeout(resolve, 20))
		const b = createTokenManager({ ...valid, store: spying })
		const fast = await b.getToken()
		expect(fast.accessToken).toMatch(/^fast/)
		await slow
		const c = createTokenManager({ ...valid, store })
		expect((await c.getToken()).accessToken).toBe(fast.accessToken)
		expect(writes).toHaveLength(2)
	})
})

describe('certificate-bound tokens (RFC 8705 §3)', () => {
	it('a manager without that certificate never takes a bound token from a shared store', async () => {
		const bound: StoredTokenSet = {
			version: 1,
			accessToken: 'bound-to-another-certificate',
			tokenType: 'Bearer',
			expiresAt: Date.now() + 3_600_000,
			requestedAt: Date.now(),
			certificateThumbprint: 'x5t-of-someone-else',
		}
		const store = memoryStore()
		const seeded: TokenStore = { ...store, get: async (key) => (await store.get(key)) ?? bound }
		const replies = tokenReplies()
		nock(ISSUER).post(TOKEN_PATH).reply(replies.reply)
		const { tokens } = setup({ store: seeded })
		expect((await tokens.getToken()).accessToken).toBe('at-1')
		expect(replies.count()).toBe(1)
	})
})

describe('the hot path', () => {
	it('does no store I/O while a valid token is in hand', async () => {
		nock(ISSUER).post(TOKEN_PATH).reply(tokenReplies().reply)
		const calls: string[] = []
		const store = memoryStore()
		const counting: TokenStore = {
			get: (key) => (calls.push('get'), store.get(key)),
			set: (key, value, options) => (calls.push('set'), store.set(key, value, options)),
			delete: (key) => (calls.push('delete'), store.delete(key)),
			compareAndDelete: (key, token) => (calls.push('cad'), store.compareAndDelete(key, token)),
		}
		const { tokens } = setup({ store: counting })
		await tokens.getToken()
		const before = calls.length
		for (let i = 0; i < 100; i++) await tokens.getToken()
		expect(calls.length).toBe(before)
	})

	it('degrades to in-process single flight when the store fails, and reports it', async () => {
		const replies = tokenReplies()
		nock(ISSUER).post(TOKEN_PATH).times(3).reply(replies.reply)
		const broken: TokenStore = {
			get: () => Promise.reject(new Error('ECONNREFUSED')),
			set: () => Promise.reject(new Error('ECONNREFUSED')),
			delete: () => Promise.reject(new Error('ECONNREFUSED')),
			compareAndDelete: () => Promise.reject(new Error('ECONNREFUSED')),
			lock: () => Promise.reject(new Error('ECONNREFUSED')),
		}
		const { tokens, events } = setup({ store: broken })
		const results = await Promise.all(Array.from({ length: 50 }, () => tokens.getToken()))
		expect(new Set(results.map((token) => token.accessToken)).size).toBe(1)
		expect(replies.count()).toBe(1)
		expect(events.filter((event) => event.type === 'store-error').length).toBeGreaterThan(0)
	})

	it('does not hang on a store that never answers: one timeout, then the store is skipped for a pause', async () => {
		const replies = tokenReplies()
		nock(ISSUER).post(TOKEN_PATH).times(2).reply(replies.reply)
		const never = () => new Promise<never>(() => {})
		const calls: string[] = []
		const hanging: TokenStore = {
			get: (key) => (calls.push('get'), never()),
			set: () => (calls.push('set'), never()),
			delete: never,
			compareAndDelete: never,
			lock: () => (calls.push('lock'), never()),
		}
		const { tokens, events } = setup({ store: hanging, timeout: 50 })
		const started = Date.now()
		expect((await tokens.getToken()).accessToken).toBe('at-1')
		// A second key does not pay the timeout again while the store is paused.
		expect((await tokens.getToken({ scope: 'other' })).accessToken).toBe('at-2')
		expect(Date.now() - started).toBeLessThan(5_000)
		expect(calls).toEqual(['get'])
		expect(events.filter((event) => event.type === 'store-error').map((event) => (event as { operation: string }).operation)).toEqual(['get'])
	})

	it('goes back to the store after the pause', async () => {
		vi.useFakeTimers({ toFake: ['Date'] })
		const replies = tokenReplies()
		nock(ISSUER).post(TOKEN_PATH).times(2).reply(replies.reply)
		let down = true
		const store = memoryStore()
		const flaky: TokenStore = {
			...store,
			get: (key) => (down ? Promise.reject(new Error('ECONNREFUSED')) : store.get(key)),
			set: (key, value, options) => (down ? Promise.reject(new Error('ECONNREFUSED')) : store.set(key, value, options)),
		}
		const { tokens } = setup({ store: flaky, timeout: 1_000 })
		await tokens.getToken()
		down = false
		vi.setSystemTime(Date.now() + 1_001)
		await tokens.getToken({ scope: 'later' })
		// Written to the store again: another manager on it finds the token without a request.
		const other = setup({ store })
		expect((await other.tokens.getToken({ scope: 'later' })).accessToken).toBe('at-2')
		expect(replies.count()).toBe(2)
		vi.useRealTimers()
	})

	it('uses the lock of a store that has one, and re-reads the store under it', async () => {
		const store = memoryStore()
		const order: string[] = []
		const locking: TokenStore = {
			...store,
			get: (key) => (order.push('get'), store.get(key)),
			set: (key, value, options) => (order.push('set'), store.set(key, value, options)),
			lock: async () => {
				order.push('lock')
				return { release: async () => void order.push('release') }
			},
		}
		const endpoint = recorder()
		nock(ISSUER).post(TOKEN_PATH).reply(endpoint.reply)
		await setup({ store: locking }).tokens.getToken()
		expect(order).toEqual(['get', 'lock', 'get', 'set', 'release'])
	})
})

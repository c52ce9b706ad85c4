import nock from 'nock'
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest'
import { AbortError, OAuthError, type Token, type TokenRequest } from '@tokenwarden/core'
import {
	authorizationHeader,
	bearerError,
	createTokenPolicy,
	isAllowed,
	type ResponseView,
	resolveAdapterSettings,
	type TokenPolicy,
	TokenWaitTimeoutError,
	type TokenSource,
} from '@tokenwarden/core/adapter'
import { opaque, recorder, setup, TOKEN_PATH, ISSUER, tokenReplies } from './helpers.ts'

const API = 'https://api.example.com'

function token(accessToken: string, tokenType = 'Bearer'): Token {
	return { accessToken, tokenType, expiresAt: Date.now() + 3_600_000, scope: [] }
}

/**
 * A token source like the manager: hands out `t1`, `t2`, … and drops a token only while it is the
 * current one (compare-and-delete). With `keepReplacement`, it behaves as the manager does within its
 * cooldown: a token issued to replace an invalidated one is not dropped again.
 */
function fakeSource({ keepReplacement = false } = {}) {
	let issued = 0
	let current: Token | undefined
	let replacement = false
	const requests: TokenRequest[] = []
	const invalidated: string[] = []
	const source: TokenSource & { requests: TokenRequest[]; invalidated: string[]; issued: () => number } = {
		requests,
		invalidated,
		issued: () => issued,
		async getToken(request = {}) {
			requests.push(request)
			if (current === undefined) {
				issued++
				current = token(`t${issued}`)
			}
			return current
		},
		async invalidate(sent) {
			const accessToken = typeof sent === 'string' ? sent : sent.accessToken
			invalidated.push(accessToken)
			if (current?.accessToken !== accessToken || (keepReplacement && replacement)) return false
			current = undefined
			replacement = true
			return true
		},
	}
	return source
}

function policyOf(source: TokenSource, options: Record<string, unknown> = {}): TokenPolicy {
	return createTokenPolicy(resolveAdapterSettings(source, options, API, 'test'))
}

function response(status: number, url = `${API}/cob`, headers: Record<string, string> = {}): ResponseView {
	return new Proxy(new Response(null, { status, headers }), {
		get: (target, key) => (key === 'url' ? url : Reflect.get(target, key, target)),
	})
}

describe('origins', () => {
	const origins = new Set([API, 'http://127.0.0.1:8080'])

	test.each([
		[`${API}/cob`, true],
		[API, true],
		[`${API}?q=1`, true],
		[`${API}#x`, true],
		['https://API.example.com:443/cob', true],
		['http://127.0.0.1:8080/x', true],
		['http://127.0.0.1:80801/x', false],
		['https://api.example.com.evil.com/x', false],
		['https://api.example.com@evil.com/x', false],
		['https://api.example.com:8443/x', false],
		['http://api.example.com/x', false],
		['/cob', false],
		['not a url', false],
		[undefined, false],
	])('%s allowed: %s', (url, allowed) => {
		expect(isAllowed(url, origins)).toBe(allowed)
	})

	test('URL objects are judged by their origin', () => {
		expect(isAllowed(new URL('/x', API), origins)).toBe(true)
		expect(isAllowed(new URL('https://evil.example.com/x'), origins)).toBe(false)
	})

	test('policy.allows applies the client settings', () => {
		const policy = policyOf(fakeSource(), { origins: ['https://files.example.com'] })
		expect(policy.allows('https://files.example.com/doc')).toBe(true)
		expect(policy.allows(`${API}/cob`)).toBe(true)
		expect(policy.allows('https://evil.example.com/doc')).toBe(false)
	})
})

describe('the Authorization header (RFC 6750 §2.1)', () => {
	test('is "<type> <token>" in one place', () => {
		expect(authorizationHeader(token('abc'))).toBe('Bearer abc')
		expect(authorizationHeader(token('abc', 'DPoP'))).toBe('DPoP abc')
	})

	test('the policy formats the same header and follows a new token', () => {
		const policy = policyOf(fakeSource())
		const first = token('one')
		expect(policy.authorizationHeader(first)).toBe('Bearer one')
		expect(policy.authorizationHeader(first)).toBe('Bearer one')
		expect(policy.authorizationHeader(token('two'))).toBe('Bearer two')
	})
})

describe('classifying a response to a request that carried a token', () => {
	const policy = policyOf(fakeSource())

	test.each([
		['a 2xx', response(200), 'pass'],
		['a 403', response(403), 'pass'],
		['a 401', response(401), 'token-rejected'],
		['a 401 whose client does not tell the final URL', response(401, ''), 'token-rejected'],
		['a 401 with error="invalid_token"', response(401, `${API}/cob`, { 'www-authenticate': 'Bearer error="invalid_token"' }), 'token-rejected'],
		['a 401 from another origin after a redirect', response(401, 'https://elsewhere.example.com/login'), 'pass'],
		[
			'a 401 with Bearer error="insufficient_scope" (RFC 6750 §3.1)',
			response(401, `${API}/cob`, { 'www-authenticate': 'Bearer realm="api", error="insufficient_scope", scope="cob.write"' }),
			'pass',
		],
		['a 401 with insufficient_scope in another scheme only', response(401, `${API}/cob`, { 'www-authenticate': 'Basic realm="x", error="insufficient_scope"' }), 'token-rejected'],
	] as const)('%s: %s', (_name, given, verdict) => {
		expect(policy.classify(given)).toBe(verdict)
	})

	test('headers given as lists (as axios and undici may have them) are read', () => {
		const view: ResponseView = { status: 401, headers: { get: () => ['Basic realm="x"', 'Bearer error="insufficient_scope"'] } }
		expect(policy.classify(view)).toBe('pass')
	})

	test('Bearer challenges are parsed per RFC 9110 §11.6.1', () => {
		expect(bearerError('Newauth realm="apps", type=1, title="Login to \\"apps\\"", Basic realm="simple", Bearer scope="a b",error="insufficient_scope"')).toBe('insufficient_scope')
		expect(bearerError('Negotiate abc==, Bearer error=invalid_token')).toBe('invalid_token')
		expect(bearerError('Bearer')).toBeUndefined()
		expect(bearerError('garbage "')).toBeUndefined()
	})

	test('isTokenRejected decides for allowed origins, and is never asked about other origins', () => {
		const asked: number[] = []
		const custom = policyOf(fakeSource(), {
			isTokenRejected: (view: ResponseView) => {
				asked.push(view.status)
				return view.status === 403
			},
		})
		expect(custom.classify(response(403))).toBe('token-rejected')
		expect(custom.classify(response(401))).toBe('pass')
		expect(custom.classify(response(200))).toBe('pass')
		expect(custom.classify(response(403, 'https://elsewhere.example.com/x'))).toBe('pass')
		expect(asked).toEqual([403, 401, 200])
	})

	test('isTokenRejected must be a function', () => {
		expect(() => resolveAdapterSettings(fakeSource(), { isTokenRejected: 401 }, API, 'withTokens')).toThrow(
			new TypeError('tokenwarden: expected withTokens option isTokenRejected to be a function (response) => boolean, got number'),
		)
	})
})

describe('after a rejection', () => {
	test('the token sent is dropped and a different token comes back for the one retry', async () => {
		const source = fakeSource()
		const policy = policyOf(source)
		const sent = await policy.tokenFor({})
		expect(await policy.afterRejection(sent, {}, {})).toMatchObject({ accessToken: 't2' })
		expect(source.invalidated).toEqual(['t1'])
	})

	test('the same token back means no retry: the response goes to the caller', async () => {
		const source = fakeSource({ keepReplacement: true })
		const policy = policyOf(source)
		const first = await policy.tokenFor({})
		const fresh = await policy.afterRejection(first, {}, {})
		expect(fresh?.accessToken).toBe('t2')
		// The replacement is rejected too: the manager keeps it, so there is nothing to retry with.
		expect(await policy.afterRejection(fresh as Token, {}, {})).toBeUndefined()
		expect(source.issued()).toBe(2)
	})

	test('without a retry (unreplayable body, or retryUnauthorized: false) the token is still dropped', async () => {
		for (const [options, retry] of [
			[{}, false],
			[{ retryUnauthorized: false }, {}],
		] as const) {
			const source = fakeSource()
			const policy = policyOf(source, options)
			const sent = await policy.tokenFor({})
			expect(await policy.afterRejection(sent, {}, retry)).toBeUndefined()
			expect(source.invalidated).toEqual(['t1'])
			expect(source.issued()).toBe(1)
		}
	})

	test('the fresh token is asked for with the same request, bounded by the retry signal', async () => {
		const source = fakeSource()
		const policy = policyOf(source)
		const signal = new AbortController().signal
		const request = { scope: 'cob.read', subject: 'account-42' }
		const sent = await policy.tokenFor(request)
		await policy.afterRejection(sent, request, { signal })
		expect(source.requests).toEqual([request, { ...request, signal }])
	})
})

describe('waiting for a token', () => {
	test('without a signal or timeout the request goes to the manager as it is', async () => {
		const source = fakeSource()
		const request = { scope: 'a' }
		await policyOf(source).tokenFor(request)
		expect(source.requests[0]).toBe(request)
	})

	test('the timeout bounds the wait; the token request goes on for the others', async () => {
		let resolve: (value: Token) => void = () => {}
		const slow: TokenSource = { getToken: () => new Promise<Token>((done) => (resolve = done)), invalidate: async () => false }
		const timers: { callback: () => void; ms: number }[] = []
		const policy = createTokenPolicy(resolveAdapterSettings(slow, {}, API, 'test'), {
			timers: { setTimeout: (callback, ms) => timers.push({ callback, ms }), clearTimeout: () => {} },
		})
		const waiting = policy.tokenFor({}, { timeout: 250 })
		expect(timers.map(({ ms }) => ms)).toEqual([250])
		timers[0]?.callback()
		const error = await waiting.catch((caught: unknown) => caught)
		expect(error).toBeInstanceOf(TokenWaitTimeoutError)
		expect(error).toMatchObject({ code: 'TOKEN_WAIT_TIMEOUT', timeout: 250 })
		resolve(token('late'))
	})

	test('the token in time clears the timer', async () => {
		const cleared: unknown[] = []
		const policy = createTokenPolicy(resolveAdapterSettings(fakeSource(), {}, API, 'test'), {
			timers: { setTimeout: () => 'timer-1', clearTimeout: (handle) => cleared.push(handle) },
		})
		expect((await policy.tokenFor({}, { timeout: 1000 })).accessToken).toBe('t1')
		expect(cleared).toEqual(['timer-1'])
	})
})

describe('with the real manager', () => {
	beforeEach(() => nock.disableNetConnect())
	afterEach(() => {
		nock.cleanAll()
		nock.enableNetConnect()
		vi.useRealTimers()
	})

	test('the caller signal stops its wait, not the shared token request', async () => {
		const endpoint = recorder()
		nock(ISSUER).post(TOKEN_PATH).delay(50).reply(endpoint.reply)
		const { tokens } = setup()
		const policy = createTokenPolicy(resolveAdapterSettings(tokens, {}, API, 'test'))
		const controller = new AbortController()
		const aborted = policy.tokenFor({}, { signal: controller.signal })
		const other = policy.tokenFor({})
		controller.abort()
		await expect(aborted).rejects.toBeInstanceOf(AbortError)
		expect((await other).accessToken).toBe('at-1')
		expect(endpoint.count()).toBe(1)
	})

	test('100 rejections of one stale token: one new token request', async () => {
		const endpoint = recorder()
		nock(ISSUER).post(TOKEN_PATH).times(2).reply(endpoint.reply)
		const { tokens } = setup()
		const policy = createTokenPolicy(resolveAdapterSettings(tokens, {}, API, 'test'))
		const sent = await policy.tokenFor({})
		const fresh = await Promise.all(Array.from({ length: 100 }, () => policy.afterRejection(sent, {}, {})))
		expect(new Set(fresh.map((each) => each?.accessToken))).toEqual(new Set(['at-2']))
		expect(endpoint.count()).toBe(2)
	})

	test('cachedToken hands over the token getToken would resolve to at once, and undefined whenever getToken would wait', async () => {
		const endpoint = tokenReplies(3600)
		nock(ISSUER).post(TOKEN_PATH).times(3).reply(endpoint.reply)
		vi.useFakeTimers({ toFake: ['Date'] })
		const { tokens } = setup()
		const policy = createTokenPolicy(resolveAdapterSettings(tokens, {}, API, 'test'))
		// Nothing cached yet: undefined, and no token request is started by asking.
		expect(policy.cachedToken({})).toBeUndefined()
		expect(endpoint.count()).toBe(0)
		const first = await policy.tokenFor({})
		expect(policy.cachedToken({})).toBe(first)
		expect(policy.cachedToken({})).toBe(await tokens.getToken())
		// What would not be answered from the cache at once: another target, a forced refresh, a bad request.
		expect(policy.cachedToken({ scope: 'other' })).toBeUndefined()
		expect(policy.cachedToken({ forceRefresh: true } as TokenRequest)).toBeUndefined()
		expect(policy.cachedToken({ scope: 42 } as unknown as TokenRequest)).toBeUndefined()
		expect(endpoint.count()).toBe(1)
		// Inside refresh-ahead (60 s before expiry): still handed over, and one refresh starts behind it.
		vi.setSystemTime(Date.now() + 3_600_000 - 30_000)
		expect(policy.cachedToken({})).toBe(first)
		expect(policy.cachedToken({})).toBe(first)
		await vi.waitFor(() => expect(endpoint.count()).toBe(2))
		const refreshed = await tokens.getToken()
		expect(refreshed.accessToken).toBe('at-2')
		expect(policy.cachedToken({})).toBe(refreshed)
		// Dropped after a 401: getToken would ask the endpoint, so cachedToken has nothing.
		await tokens.invalidate(refreshed)
		expect(policy.cachedToken({})).toBeUndefined()
		// Past the expiry margin: the token is not usable any more.
		const third = await policy.tokenFor({})
		vi.setSystemTime(third.expiresAt - 5_000)
		expect(policy.cachedToken({})).toBeUndefined()
	})

	test('cachedToken is undefined for a token source that is not a manager of createTokenManager', async () => {
		const source = fakeSource()
		const policy = policyOf(source)
		await policy.tokenFor({})
		expect(policy.cachedToken({})).toBeUndefined()
	})

	test('an error of the manager while asking for the fresh token reaches the caller', async () => {
		const endpoint = recorder((_seen, count) => (count === 1 ? [200, opaque(count)] : [400, { error: 'invalid_scope' }]))
		nock(ISSUER).post(TOKEN_PATH).times(2).reply(endpoint.reply)
		const { tokens } = setup()
		const policy = createTokenPolicy(resolveAdapterSettings(tokens, {}, API, 'test'))
		const sent = await policy.tokenFor({})
		await expect(policy.afterRejection(sent, {}, {})).rejects.toBeInstanceOf(OAuthError)
	})
})

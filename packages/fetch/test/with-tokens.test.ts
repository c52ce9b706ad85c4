import { inspect } from 'node:util'
import nock from 'nock'
import { describe, expect, test } from 'vitest'
import { withTokens } from '@tokenwarden/fetch'
import { API, cooldownScenarios, endpoint, managerKeepsReplacement, policyScenarios, scenarios, setup, startServer, useNock } from '../../../test-support/adapters.ts'
import { driver, statusOf } from './driver.ts'

useNock()

/** Whether the manager has the replacement cooldown of issue 13 (the core-state change); the cooldown scenarios need it. */
const cooldown = await managerKeepsReplacement()

function oneChunkStream(): ReadableStream<Uint8Array> {
	return new ReadableStream({
		start(controller) {
			controller.enqueue(new TextEncoder().encode('chunk'))
			controller.close()
		},
	})
}

describe('which requests get a token', () => {
	test('relative inputs resolve against baseUrl and share one token', () => scenarios.oneTokenForManyRequests(driver, { path: '/cob', urls: ['/cob', 'cob', `${API}/cob`] }))
	test('baseUrl with a path: standard URL resolution', () => scenarios.oneTokenForManyRequests(driver, { base: `${API}/v1/`, path: '/v1/cob', urls: ['cob', '/v1/cob'] }))
	test("baseUrl with a path resolves like ky 2's baseUrl: 'cob' under it, '/cob' from the origin's root", async () => {
		const { tokens } = setup()
		const paths: string[] = []
		nock(API)
			.persist()
			.get(/.*/)
			.reply((request: Request) => {
				paths.push(new URL(request.url).pathname)
				return [200, {}]
			})
		const api = withTokens(fetch, tokens, { baseUrl: `${API}/v1/` })
		await statusOf(await api('cob'))
		await statusOf(await api('/cob'))
		await statusOf(await api('../cob'))
		// Without the trailing slash the last segment is a file name, replaced as in an <a href>.
		const bare = withTokens(fetch, tokens, { baseUrl: `${API}/v1` })
		await statusOf(await bare('cob'))
		expect(paths).toEqual(['/v1/cob', '/cob', '/cob', '/cob'])
	})
	test('other origins get no token, and none is asked for', () =>
		scenarios.noTokenForOtherOrigins(driver, [
			(api) => api('https://evil.example.com/steal'),
			(api) => api(new URL('http://api.example.com/steal')),
			(api) => api(new Request('https://api.example.com:8443/steal')),
		]))
	test('origins widen the set', () => scenarios.originsWidenTheSet(driver))
	test('tokenwarden: false sends no token and keeps the caller header', () => scenarios.optOutSendsNoToken(driver))
	test('scope per client and per request', () => scenarios.scopePerRequest(driver))
	test('clients share one manager', () => scenarios.clientsShareOneManager(driver))
	test('a bad per-request option rejects before any request', () =>
		scenarios.badRequestTokenRejects(driver, [
			[{ scope: 1 }, /init.tokenwarden scope must be a string/],
			[{ subject: '' }, /init.tokenwarden subject must be a non-empty string/],
			[{ origin: API }, /unknown key "origin"/],
		]))

	test('a Request input carries the token; its own Authorization is replaced, not combined', async () => {
		const { tokens } = setup()
		const { seen } = endpoint(API, '/cob')
		const api = withTokens(fetch, tokens, { baseUrl: API })
		await statusOf(await api(new Request(`${API}/cob`, { headers: { Authorization: 'Basic mine', 'x-other': '1' } })))
		await statusOf(await api(`${API}/cob`, { headers: [['AUTHORIZATION', 'Basic mine']] }))
		await statusOf(await api(`${API}/cob`, { headers: new Headers({ authorization: 'Basic mine' }) }))
		expect(seen).toEqual(['Bearer access-1', 'Bearer access-1', 'Bearer access-1'])
	})

	test('origins without baseUrl; neither is a TypeError naming the options', () => {
		const { tokens } = setup()
		expect(() => withTokens(fetch, tokens)).toThrow(TypeError)
		expect(() => withTokens(fetch, tokens, { scope: 'a' })).toThrow(/base URL or pass origins/)
		expect(() => withTokens(fetch, tokens, { baseUrl: '/relative' })).toThrow('tokenwarden: expected withTokens option baseUrl to be an absolute http(s) URL, got "/relative"')
		expect(() => withTokens('fetch' as never, tokens, { origins: [API] })).toThrow('tokenwarden: expected withTokens fetch to be a fetch function, got string')
		expect(() => withTokens(fetch, tokens, { origins: [API], isTokenRejected: true } as never)).toThrow(/expected withTokens option isTokenRejected to be a function/)
		expect(() => withTokens(fetch, tokens, { origins: [API], origin: API } as never)).toThrow(/unknown key "origin"/)
		expect(typeof withTokens(fetch, tokens, { origins: [API] })).toBe('function')
	})
})

describe('redirects (the token never follows to another origin)', () => {
	test('a redirect keeps the token within the origin only', () => scenarios.redirectKeepsTokenWithinOrigin(driver))
	test('a 401 from another origin after a redirect is not a rejected token', () => policyScenarios.unauthorizedAfterRedirectElsewhereReachesCaller(driver))

	test("Node's own fetch drops Authorization on a cross-origin redirect (what a caller header gets without withTokens)", async () => {
		const other = await startServer(() => ({ status: 200 }))
		const home = await startServer(() => ({ status: 302, location: `${other.origin}/landing` }))
		await (await fetch(`${home.origin}/away`, { headers: { authorization: 'Bearer mine' } })).arrayBuffer()
		expect(other.seen).toEqual([{ path: '/landing', authorization: undefined }])
	})

	test('a redirect to another allowed origin carries the token; 303 after POST becomes a GET; the caller redirect mode is kept', async () => {
		const { tokens } = setup()
		const files = await startServer(() => ({ status: 200 }))
		const home = await startServer((path) => (path === '/post' ? { status: 303, location: `${files.origin}/doc` } : { status: 302, location: '/elsewhere' }))
		const api = withTokens(fetch, tokens, { baseUrl: home.origin, origins: [files.origin] })
		const response = await api('/post', { method: 'POST', body: 'x' })
		await statusOf(response)
		expect(response.url).toBe(`${files.origin}/doc`)
		expect(files.seen).toEqual([{ path: '/doc', authorization: 'Bearer access-1' }])
		const manual = await api('/moved', { redirect: 'manual' })
		expect(manual.status).toBe(302)
		await expect(api('/moved', { redirect: 'error' })).rejects.toThrow(TypeError)
	})

	test('a redirect loop fails like fetch does', async () => {
		const { tokens } = setup()
		const home = await startServer(() => ({ status: 302, location: '/again' }))
		await expect(withTokens(fetch, tokens, { baseUrl: home.origin })('/again')).rejects.toThrow(TypeError)
		expect(home.seen).toHaveLength(21)
	})
})

describe('after a 401', () => {
	test('the token sent is dropped and the request is retried once with a fresh token', () => scenarios.retriesOnceWithFreshToken(driver))
	test('a second 401 reaches the caller: never a second retry', () => scenarios.secondUnauthorizedReachesCaller(driver))
	test('retryUnauthorized: false surfaces the first 401', () => scenarios.noRetryWhenTurnedOff(driver))
	test('a request without a token (other origin, opt-out) is not retried', () => scenarios.noRetryWithoutToken(driver))
	test('100 concurrent requests failing with the same stale token cause one new token request', () => scenarios.concurrentUnauthorizedShareOneRefresh(driver))
	test('a streamed body is not replayed: the 401 reaches the caller after one attempt', () => scenarios.streamedBodyNotReplayed(driver, oneChunkStream))
	test('retryUnauthorized: false still drops the token', () => scenarios.staleTokenDroppedWithoutRetry(driver))
	test('a streamed body still drops the token', () => scenarios.staleTokenDroppedAfterUnreplayableBody(driver, oneChunkStream))
	test('insufficient_scope (RFC 6750 §3.1) is passed on without a drop or a retry', () => policyScenarios.insufficientScopeReachesCaller(driver))
	test('a real server that rejects once: one retry, then the fresh token', () => policyScenarios.rejectedOnceRecovers(driver))
	test('isTokenRejected decides which responses reject the token', () => policyScenarios.customClassifierDecides(driver))
	test('a path that rejects every token leaves other scopes alone', () => policyScenarios.otherKeysUnaffected(driver))

	test.each([
		['a string', () => 'text'],
		['URLSearchParams', () => new URLSearchParams({ a: '1' })],
		['a Blob', () => new Blob(['blob'])],
		['an ArrayBuffer', () => new TextEncoder().encode('bytes').buffer],
		['a typed array', () => new TextEncoder().encode('bytes')],
		[
			'FormData',
			() => {
				const form = new FormData()
				form.set('a', '1')
				return form
			},
		],
	])('%s body is replayed byte for byte', async (_name, body) => {
		const { tokens } = setup()
		const bodies: string[] = []
		nock(API)
			.persist()
			.post('/cob')
			.reply(async (request: Request) => {
				bodies.push((await request.text()).replace(/-{2,}[\w-]+/g, '--boundary'))
				return [request.headers.get('authorization') === 'Bearer access-2' ? 200 : 401, {}]
			})
		expect(await statusOf(await withTokens(fetch, tokens, { baseUrl: API })('/cob', { method: 'POST', body: body() as BodyInit }))).toBe(200)
		expect(bodies).toHaveLength(2)
		expect(bodies[1]).toBe(bodies[0])
	})

	test('a Request with a body is not replayed: the 401 reaches the caller, the token is dropped', async () => {
		const { tokens, tokenEndpoint } = setup()
		const { seen } = endpoint(API, '/upload', () => 401, 'post')
		const response = await withTokens(fetch, tokens, { baseUrl: API })(new Request(`${API}/upload`, { method: 'POST', body: 'x' }))
		expect(response.status).toBe(401)
		expect(seen).toEqual(['Bearer access-1'])
		expect(tokenEndpoint.count()).toBe(1)
		await withTokens(fetch, tokens, { baseUrl: API })(`${API}/upload`, { method: 'POST', body: 'x' })
		expect(seen[1]).toBe('Bearer access-2')
	})

	test('the caller signal bounds the wait for the token', async () => {
		// A token endpoint that never answers.
		const { tokens } = setup({ fetch: () => new Promise<Response>(() => {}) })
		const controller = new AbortController()
		const pending = withTokens(fetch, tokens, { baseUrl: API })('/cob', { signal: controller.signal })
		controller.abort()
		await expect(pending).rejects.toMatchObject({ name: 'AbortError' })
	})
})

describe.runIf(cooldown)('an API that rejects every token (needs the manager cooldown of issue 13)', () => {
	test('100 concurrent calls: at most 2 token requests', () => cooldownScenarios.alwaysRejectingConcurrent(driver))
	test('1,000 sequential calls over a minute: at most 6 token requests', () => cooldownScenarios.alwaysRejectingSequential(driver), 60_000)
	test('the fresh token is kept through the cooldown', () => cooldownScenarios.freshTokenKeptThroughCooldown(driver))
})

describe('errors of the token manager reach the caller unchanged', () => {
	test('token endpoint error', () => scenarios.tokenEndpointErrorReachesCaller(driver))
	test('consent required', () => scenarios.consentRequiredReachesCaller(driver))
	test('token error on the retry', () => scenarios.tokenErrorOnRetryReachesCaller(driver))
})

describe('secrets', () => {
	test('an error status shows no token', () => scenarios.httpErrorShowsNoToken(driver))
	test('the final 401 shows neither token', () => scenarios.finalUnauthorizedShowsNoToken(driver))

	test('responses and network errors, inspected, show no token', async () => {
		const { tokens } = setup()
		endpoint(API, '/cob')
		const api = withTokens(fetch, tokens, { baseUrl: API, origins: ['http://127.0.0.1:1'] })
		const response = await api('/cob')
		const error = await api('http://127.0.0.1:1/down').catch((caught: unknown) => caught)
		expect(error).toBeInstanceOf(TypeError)
		for (const value of [response, error]) {
			for (const text of [inspect(value, { depth: 10, showHidden: true }), JSON.stringify(value)]) expect(text).not.toContain('access-1')
		}
	})
})

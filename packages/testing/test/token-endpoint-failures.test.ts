import nock from 'nock'
import { describe, expect, it, vi } from 'vitest'
import { InvalidTokenResponseError, OAuthError, TokenEndpointError, type TokenWardenEvent } from '@tokenwarden/core'
import { createTokenServer, mockTokenEndpoint, type TokenEndpointFailure } from '@tokenwarden/testing'
import { setup, until, useFakeTime, useNock } from './helpers.ts'

useNock()

const TOKEN_URL = 'https://auth.example.com/oauth/token'
const CLIENT_ID = 'client-1'
const CLIENT_SECRET = 'client-secret-1'
const credentials = { tokenUrl: TOKEN_URL, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET }
const T0 = Date.parse('2026-03-01T12:00:00Z')

useFakeTime(T0)

function manager(overrides: Record<string, unknown> = {}) {
	return setup({
		tokenUrl: TOKEN_URL,
		clientId: CLIENT_ID,
		clientSecret: CLIENT_SECRET,
		retry: { limit: 1, delay: 100, maxDelay: 100 },
		...overrides,
	})
}

/** Runs a getToken whose retry waits on the fake clock. */
async function withRetry<T>(events: TokenWardenEvent[], pending: Promise<T>, wait: number): Promise<T> {
	pending.catch(() => {})
	await until(() => events.some((event) => event.type === 'retry'))
	await vi.advanceTimersByTimeAsync(wait)
	return pending
}

describe('failNext', () => {
	it.each([
		['invalid_client', 401],
		['invalid_scope', 400],
		['invalid_grant', 400],
		['unauthorized_client', 400],
	] as const)('answers %s as an RFC 6749 §5.2 error with HTTP %i, then tokens again', async (code, status) => {
		const endpoint = mockTokenEndpoint(credentials)
		endpoint.failNext(code)
		const { tokens } = manager()
		const error = await tokens.getToken().catch((caught: unknown) => caught)
		expect(error).toBeInstanceOf(OAuthError)
		expect(error).toMatchObject({ error: code, status })
		expect((await tokens.getToken()).accessToken).toBe('access-1')
		expect(endpoint.requests.map((request) => [request.status, request.error])).toEqual([
			[status, code],
			[200, undefined],
		])
		// A scripted failure is not a client authentication mismatch.
		endpoint.done()
	})

	it('sends WWW-Authenticate with a 401 invalid_client (RFC 6749 §5.2)', async () => {
		const server = createTokenServer({ tokenUrl: TOKEN_URL })
		server.failNext('invalid_client')
		const response = await server.fetch(TOKEN_URL, { method: 'POST', body: new URLSearchParams({ grant_type: 'client_credentials' }) })
		expect(response.status).toBe(401)
		expect(response.headers.get('www-authenticate')).toMatch(/^Basic /)
		expect(await response.json()).toEqual({ error: 'invalid_client', error_description: 'scripted invalid_client (failNext)' })
	})

	it('answers 503 with Retry-After: the manager waits that long on the fake clock and retries', async () => {
		const endpoint = mockTokenEndpoint(credentials)
		endpoint.failNext({ status: 503, retryAfter: 2 })
		const { tokens, events } = manager()
		const token = await withRetry(events, tokens.getToken(), 2000)
		expect(token.accessToken).toBe('access-1')
		expect(events.find((event) => event.type === 'retry')).toMatchObject({ status: 503, delay: 2000 })
		expect(endpoint.requests.map((request) => [request.status, request.at])).toEqual([
			[503, T0],
			[200, T0 + 2000],
		])
		endpoint.done()
	})

	it("answers 'html' with a sign-in page, as a misrouted gateway does", async () => {
		const endpoint = mockTokenEndpoint(credentials)
		endpoint.failNext('html')
		const error = await manager()
			.tokens.getToken()
			.catch((caught: unknown) => caught)
		expect(error).toBeInstanceOf(InvalidTokenResponseError)
		expect(error).toMatchObject({ reason: 'html', status: 200, bodySnippet: 'Sign in' })
		endpoint.done()
	})

	it("fails the connection for 'network': the manager retries", async () => {
		const endpoint = mockTokenEndpoint(credentials)
		endpoint.failNext('network')
		const { tokens, events } = manager()
		expect((await withRetry(events, tokens.getToken(), 100)).accessToken).toBe('access-1')
		expect(events.find((event) => event.type === 'retry')).toMatchObject({ reason: 'network' })
		expect(endpoint.requests.map((request) => request.status)).toEqual([0, 200])
		endpoint.done()
	})

	it('gives up like the manager does when the failure lasts: times', async () => {
		const endpoint = mockTokenEndpoint(credentials)
		endpoint.failNext({ status: 502, body: '<html><title>Bad Gateway</title></html>', contentType: 'text/html' }, { times: 2 })
		const { tokens, events } = manager()
		const error = await withRetry(events, tokens.getToken(), 100).catch((caught: unknown) => caught)
		expect(error).toBeInstanceOf(TokenEndpointError)
		expect(error).toMatchObject({ status: 502, attempts: 2 })
		endpoint.done()
	})

	it('applies to one grant type only when asked, and takes any OAuth error object', async () => {
		const endpoint = mockTokenEndpoint(credentials)
		endpoint.failNext({ error: 'invalid_grant', description: 'consent withdrawn' }, { grantType: 'refresh_token' })
		endpoint.failNext({ error: 'slow_down', status: 400 })
		const { tokens } = manager({ retry: false })
		await expect(tokens.getToken()).rejects.toMatchObject({ error: 'slow_down', status: 400 })
		expect((await tokens.getToken()).accessToken).toBe('access-1')
		expect(() => endpoint.done()).toThrowError(/failNext failures never used: invalid_grant x1 \(refresh_token\)/)
	})

	it('checks the failure it is given', () => {
		const endpoint = mockTokenEndpoint(credentials)
		for (const bad of ['invalid_token', 42, null, {}, { status: 99 }, { error: '' }] as unknown as TokenEndpointFailure[]) {
			expect(() => endpoint.failNext(bad)).toThrowError(/^tokenwarden: failNext/)
		}
		expect(() => endpoint.failNext('invalid_scope', { times: 0 })).toThrowError(/^tokenwarden: failNext times/)
		endpoint.done()
	})
})

describe('malformed requests', () => {
	async function post(body: URLSearchParams | string, headers: Record<string, string>) {
		const server = createTokenServer(credentials)
		const response = await server.fetch(TOKEN_URL, { method: 'POST', body, headers })
		return { server, response, body: (await response.json()) as Record<string, string> }
	}

	it('refuses two client authentication methods in one request (RFC 6749 §2.3)', async () => {
		const basic = `Basic ${Buffer.from(`${CLIENT_ID}:${CLIENT_SECRET}`).toString('base64')}`
		const { server, response, body } = await post(new URLSearchParams({ grant_type: 'client_credentials', client_secret: CLIENT_SECRET }), { authorization: basic })
		expect(response.status).toBe(400)
		expect(body.error).toBe('invalid_request')
		expect(server.authFailures).toEqual(['request 1 (client_credentials): more than one client authentication method in one request (RFC 6749 §2.3)'])
	})

	it('refuses a body that is not form-urlencoded', async () => {
		const basic = `Basic ${Buffer.from(`${CLIENT_ID}:${CLIENT_SECRET}`).toString('base64')}`
		const { response, body } = await post(JSON.stringify({ grant_type: 'client_credentials' }), { authorization: basic, 'content-type': 'application/json' })
		expect(response.status).toBe(400)
		expect(body).toMatchObject({ error: 'invalid_request', error_description: expect.stringContaining('x-www-form-urlencoded') })
	})
})

describe('cleanup', () => {
	it('done() removes its interceptors and leaves the others alone', async () => {
		const api = nock('https://api.example.com').get('/ping').reply(200, 'pong')
		const endpoint = mockTokenEndpoint({ ...credentials, revocationUrl: 'https://auth.example.com/oauth/revoke' })
		expect(nock.activeMocks()).toEqual(
			expect.arrayContaining(['POST https://auth.example.com:443/oauth/token', 'POST https://auth.example.com:443/oauth/revoke', 'GET https://api.example.com:443/ping']),
		)
		await manager().tokens.getToken()
		endpoint.done()
		expect(nock.activeMocks()).toEqual(['GET https://api.example.com:443/ping'])
		// Net connect is off in these tests: with the interceptor gone the request cannot go anywhere.
		const error = await manager({ retry: false })
			.tokens.getToken()
			.catch((caught: unknown) => caught)
		expect(error).toBeInstanceOf(TokenEndpointError)
		expect(endpoint.count()).toBe(1)
		endpoint.close()
		endpoint.done()
		expect(await (await fetch('https://api.example.com/ping')).text()).toBe('pong')
		api.done()
	})

	it('done() after nock.cleanAll() only verifies', () => {
		const endpoint = mockTokenEndpoint(credentials)
		nock.cleanAll()
		expect(() => endpoint.done()).not.toThrow()
	})

	it('close() removes the interceptors without checking anything', () => {
		const endpoint = mockTokenEndpoint(credentials)
		endpoint.failNext('invalid_scope')
		endpoint.close()
		expect(nock.activeMocks()).toEqual([])
		expect(() => endpoint.verify()).toThrowError(/never used/)
	})
})

describe('options', () => {
	it.each([
		[{}, /tokenUrl must be a URL string/],
		[{ tokenUrl: 'not a url' }, /tokenUrl is not a valid URL/],
		[{ tokenUrl: 'ftp://x/token' }, /http\(s\)/],
		[{ tokenUrl: TOKEN_URL, clientId: '' }, /clientId must be a non-empty string/],
		[{ tokenUrl: TOKEN_URL, clientAuth: 'mtls' }, /clientAuth must be one of/],
		[{ tokenUrl: TOKEN_URL, clientSecret: 's', clientAuth: 'none' }, /clientSecret is not used with clientAuth none/],
		[{ tokenUrl: TOKEN_URL, expiresIn: 0 }, /expiresIn must be a positive number of seconds/],
		[{ tokenUrl: TOKEN_URL, refreshExpiresIn: '30d' }, /refreshExpiresIn/],
		[{ tokenUrl: TOKEN_URL, scopes: 'a', defaultScope: 'b' }, /defaultScope has scopes that scopes does not allow: b/],
		[{ tokenUrl: TOKEN_URL, tokenFormat: { alg: 'HS256', secret: 'short' } }, /at least 32 bytes for HS256/],
		[{ tokenUrl: TOKEN_URL, tokenFormat: { alg: 'RS256' } }, /tokenFormat.alg/],
		[{ tokenUrl: TOKEN_URL, clientPublicKey: { kty: 'EC' } }, /clientPublicKey could not be read/],
		[{ tokenUrl: TOKEN_URL, echoScope: 'yes' }, /echoScope must be a boolean/],
		[{ tokenUrl: TOKEN_URL, responseFields: 'x' }, /responseFields must be an object or a function/],
	])('refuses %o', (options, message) => {
		expect(() => createTokenServer(options as never)).toThrowError(TypeError)
		expect(() => mockTokenEndpoint(options as never)).toThrowError(message)
		expect(nock.activeMocks()).toEqual([])
	})

	it('refuses codes it cannot issue', () => {
		const server = createTokenServer({ tokenUrl: TOKEN_URL, scopes: ['a'] })
		expect(() => server.issueCode({ scope: 'b' })).toThrowError(/^tokenwarden: issueCode scope not allowed/)
		expect(() => server.issueCode({ code: '' })).toThrowError(TypeError)
		expect(() => server.approve('not a url')).toThrowError(TypeError)
	})
})

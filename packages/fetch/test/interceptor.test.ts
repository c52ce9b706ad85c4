import { createServer, type Server } from 'node:https'
import type { AddressInfo } from 'node:net'
import { Readable } from 'node:stream'
import { inspect } from 'node:util'
import { Agent, type Dispatcher, fetch as undiciFetch, getGlobalDispatcher, interceptors, request, setGlobalDispatcher } from 'undici'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { createMtlsAgents } from '@tokenwarden/core'
import { tokenInterceptor } from '@tokenwarden/fetch'
import { generateCertificates, type TestCertificates } from '../../core/test/fixtures/certificates.ts'
import { setup, startServer, useNock } from '../../../test-support/adapters.ts'

useNock()

const INSUFFICIENT_SCOPE = { 'www-authenticate': 'Bearer error="insufficient_scope"' }

/** An agent whose requests to `origins` carry tokens from a fresh manager. */
function agentFor(origins: string[], options: Record<string, unknown> = {}) {
	const { tokens, tokenEndpoint } = setup()
	const agent = new Agent().compose(tokenInterceptor(tokens, { origins, ...options }))
	return { agent, tokens, tokenEndpoint }
}

async function get(agent: Dispatcher, url: string, options: Record<string, unknown> = {}) {
	const response = await request(url, { dispatcher: agent, ...options })
	return { status: response.statusCode, body: await response.body.text() }
}

describe('tokenInterceptor', () => {
	test('requests to the origins carry the token; others carry none and ask for none', async () => {
		const api = await startServer(() => ({ status: 200 }))
		const other = await startServer(() => ({ status: 200 }))
		const { agent, tokenEndpoint } = agentFor([api.origin])
		await get(agent, `${api.origin}/cob`)
		await get(agent, `${api.origin}/cob`, { headers: { Authorization: 'Basic mine' } })
		await get(agent, `${other.origin}/x`)
		expect(api.seen.map(({ authorization }) => authorization)).toEqual(['Bearer access-1', 'Bearer access-1'])
		expect(other.seen).toEqual([{ path: '/x', authorization: undefined }])
		expect(tokenEndpoint.count()).toBe(1)
	})

	test("with the token cached, the request is dispatched within the dispatch call, and the dispatcher's answer is passed back", async () => {
		const { tokens, tokenEndpoint } = setup()
		const dispatched: { authorization: unknown; handler: unknown }[] = []
		let busy = false
		const inner = (options: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler) => {
			dispatched.push({ authorization: (options.headers as Record<string, unknown>).authorization, handler })
			return !busy
		}
		const dispatch = tokenInterceptor(tokens, { origins: ['https://api.example.com'] })(inner as Dispatcher['dispatch'])
		const options = { origin: 'https://api.example.com', path: '/cob', method: 'GET' } as const
		// First request: the token has to be fetched, the dispatch happens later.
		expect(dispatch({ ...options }, {})).toBe(true)
		expect(dispatched).toHaveLength(0)
		await expect.poll(() => dispatched.length).toBe(1)
		// Cached: sent at once, and a busy dispatcher's false reaches the caller (undici queues on it).
		busy = true
		expect(dispatch({ ...options }, {})).toBe(false)
		expect(dispatched.map(({ authorization }) => authorization)).toEqual(['Bearer access-1', 'Bearer access-1'])
		expect(tokenEndpoint.count()).toBe(1)
	})

	test('the tokenwarden dispatch option: false for none, or another scope', async () => {
		const api = await startServer(() => ({ status: 200 }))
		const { agent, tokenEndpoint } = agentFor([api.origin], { scope: 'cob.read' })
		await get(agent, `${api.origin}/health`, { tokenwarden: false })
		await get(agent, `${api.origin}/cob`, { tokenwarden: { scope: 'cob.write' } })
		expect(api.seen.map(({ authorization }) => authorization)).toEqual([undefined, 'Bearer access-1'])
		expect(tokenEndpoint.requests.map(({ form }) => form.scope)).toEqual(['cob.write'])
	})

	test('a 401 drops the token and the request is sent once more; the caller sees one response', async () => {
		const api = await startServer((_path, headers) => ({ status: headers.authorization === 'Bearer access-2' ? 200 : 401 }))
		const { agent, tokenEndpoint } = agentFor([api.origin])
		expect(await get(agent, `${api.origin}/cob`, { method: 'POST', body: 'payload' })).toEqual({ status: 200, body: '{"path":"/cob"}' })
		expect(api.seen.map(({ authorization }) => authorization)).toEqual(['Bearer access-1', 'Bearer access-2'])
		expect(tokenEndpoint.count()).toBe(2)
	})

	test('a second 401 reaches the caller with its body; a streamed body is not sent again', async () => {
		const api = await startServer(() => ({ status: 401 }))
		const { agent, tokenEndpoint } = agentFor([api.origin])
		expect(await get(agent, `${api.origin}/cob`)).toEqual({ status: 401, body: '{"path":"/cob"}' })
		expect(await get(agent, `${api.origin}/upload`, { method: 'POST', body: Readable.from(['chunk']) })).toMatchObject({ status: 401 })
		expect(api.seen.map(({ authorization }) => authorization)).toHaveLength(3)
		expect(tokenEndpoint.count()).toBeLessThanOrEqual(3)
	})

	test('insufficient_scope is passed on: no drop, no retry', async () => {
		const api = await startServer(() => ({ status: 401, headers: INSUFFICIENT_SCOPE }))
		const { agent, tokenEndpoint } = agentFor([api.origin])
		expect((await get(agent, `${api.origin}/cob`)).status).toBe(401)
		expect((await get(agent, `${api.origin}/cob`)).status).toBe(401)
		expect(api.seen.map(({ authorization }) => authorization)).toEqual(['Bearer access-1', 'Bearer access-1'])
		expect(tokenEndpoint.count()).toBe(1)
	})

	test('the request signal bounds the wait for the token', async () => {
		const api = await startServer(() => ({ status: 200 }))
		const { tokens } = setup({ fetch: () => new Promise<Response>(() => {}) })
		const agent = new Agent().compose(tokenInterceptor(tokens, { origins: [api.origin] }))
		const controller = new AbortController()
		const pending = request(`${api.origin}/cob`, { dispatcher: agent, signal: controller.signal })
		controller.abort(new Error('caller gave up'))
		await expect(pending).rejects.toThrow('caller gave up')
		expect(api.seen).toEqual([])
	})

	test('redirects followed by interceptors.redirect carry the token only to the origins', async () => {
		const other = await startServer(() => ({ status: 200 }))
		const api = await startServer((path) => (path === '/away' ? { status: 302, location: `${other.origin}/landing` } : { status: 200 }))
		const { tokens } = setup()
		const agent = new Agent().compose(tokenInterceptor(tokens, { origins: [api.origin] }), interceptors.redirect({ maxRedirections: 3 }))
		expect((await get(agent, `${api.origin}/away`)).status).toBe(200)
		expect(other.seen).toEqual([{ path: '/landing', authorization: undefined }])
	})

	test("undici's fetch and Node's global fetch through setGlobalDispatcher carry the token", async () => {
		const api = await startServer(() => ({ status: 200 }))
		const { agent } = agentFor([api.origin])
		await (await undiciFetch(`${api.origin}/undici`, { dispatcher: agent })).text()
		const previous = getGlobalDispatcher()
		setGlobalDispatcher(agent)
		try {
			await (await fetch(`${api.origin}/global`)).text()
		} finally {
			setGlobalDispatcher(previous)
		}
		expect(api.seen).toEqual([
			{ path: '/undici', authorization: 'Bearer access-1' },
			{ path: '/global', authorization: 'Bearer access-1' },
		])
	})

	test('origins are required, and checked', () => {
		const { tokens } = setup()
		expect(() => tokenInterceptor(tokens, undefined as never)).toThrow(/expected tokenInterceptor option origins/)
		expect(() => tokenInterceptor(tokens, {} as never)).toThrow(/expected tokenInterceptor option origins/)
		expect(() => tokenInterceptor(tokens, { origins: ['https://api.example.com/path'] })).toThrow(/scheme:\/\/host\[:port\] only/)
		expect(() => tokenInterceptor({} as never, { origins: ['https://api.example.com'] })).toThrow(/needs a token manager/)
	})

	test('responses inspected show no token', async () => {
		const api = await startServer(() => ({ status: 500 }))
		const { agent } = agentFor([api.origin])
		const response = await request(`${api.origin}/cob`, { dispatcher: agent })
		await response.body.text()
		expect(inspect(response, { depth: 10, showHidden: true })).not.toContain('access-1')
	})
})

describe('with mutual TLS (createMtlsAgents)', () => {
	let certs: TestCertificates
	let server: Server
	let base: string
	const seen: (string | undefined)[] = []

	beforeAll(async () => {
		certs = generateCertificates()
		server = createServer({ key: certs.server.key, cert: certs.server.cert, ca: [certs.ca.cert], requestCert: true, rejectUnauthorized: true }, (incoming, response) => {
			seen.push(incoming.headers.authorization)
			response.writeHead(seen.length === 1 ? 401 : 200, { 'content-type': 'application/json' })
			response.end('{}')
		})
		await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
		base = `https://127.0.0.1:${(server.address() as AddressInfo).port}`
	})

	afterAll(async () => {
		server.closeAllConnections()
		await new Promise((resolve) => server.close(resolve))
	})

	test('the mTLS dispatcher composed with the interceptor: tokens and the retry over the client certificate', async () => {
		const { tokens } = setup()
		const { dispatcher } = createMtlsAgents({ cert: certs.client.cert, key: certs.client.key, ca: certs.ca.cert })
		const agent = dispatcher.compose(tokenInterceptor(tokens, { origins: [base] }))
		expect((await get(agent, `${base}/saldo`)).status).toBe(200)
		expect(seen).toEqual(['Bearer access-1', 'Bearer access-2'])
		await dispatcher.close()
	})
})

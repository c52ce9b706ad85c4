import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import nock from 'nock'
import { afterEach, beforeEach } from 'vitest'
import { createTokenManager, type TokenManagerOptions } from '@tokenwarden/core'

export const API = 'https://api.example.com'
export const ISSUER = 'https://auth.example.com'
export const TOKEN_URL = `${ISSUER}/oauth/token`

/** A real manager whose token endpoint is nock: each token request gets `at-<n>`. */
export function setup(overrides: Partial<TokenManagerOptions> = {}) {
	const forms: Record<string, string>[] = []
	let answer: (count: number) => readonly [number, unknown] = (count) => [200, { access_token: `at-${count}`, token_type: 'bearer', expires_in: 3600 }]
	nock(ISSUER)
		.persist()
		.post('/oauth/token')
		.reply(async (request: Request) => {
			forms.push(Object.fromEntries(new URLSearchParams(await request.text())))
			return answer(forms.length)
		})
	const tokens = createTokenManager({ tokenUrl: TOKEN_URL, clientId: 'client-1', clientSecret: 'client-secret', retry: false, ...overrides } as TokenManagerOptions)
	return {
		tokens,
		forms,
		/** Token requests made so far. */
		tokenRequests: () => forms.length,
		answerTokens(next: typeof answer) {
			answer = next
		},
	}
}

/**
 * A nock API endpoint (GET, or `method`) that records the Authorization header of every request.
 * `status` decides the reply from the header and the request's number.
 */
export function endpoint(origin: string, path: string | RegExp, status: (authorization: string | null, count: number) => number = () => 200, method: 'get' | 'post' = 'get') {
	const seen: (string | null)[] = []
	nock(origin)
		.persist()
		.intercept(path, method.toUpperCase())
		.reply(async (request: Request) => {
			const authorization = request.headers.get('authorization')
			seen.push(authorization)
			await request.arrayBuffer()
			const code = status(authorization, seen.length)
			return [code, { ok: code < 400 }]
		})
	return { seen }
}

/** 401 unless the request carries one of the `good` tokens. */
export function acceptOnly(...good: string[]) {
	return (authorization: string | null) => (good.some((token) => authorization === `Bearer ${token}`) ? 200 : 401)
}

/** nock for every test file: no network except loopback, nothing left over. */
export function useNock(): void {
	beforeEach(() => {
		nock.disableNetConnect()
		nock.enableNetConnect(/127\.0\.0\.1/)
	})
	afterEach(() => {
		nock.cleanAll()
		nock.enableNetConnect()
	})
}

/** A real HTTP server on 127.0.0.1 (for redirects, which nock does not follow like a network does). */
export async function startServer(handle: (path: string, headers: IncomingHttpHeaders) => { status: number; location?: string }) {
	const seen: { path: string; authorization: string | undefined }[] = []
	const server: Server = createServer((request, response) => {
		const path = request.url ?? '/'
		seen.push({ path, authorization: request.headers.authorization })
		const { status, location } = handle(path, request.headers)
		response.writeHead(status, location === undefined ? { 'content-type': 'application/json' } : { location })
		response.end(JSON.stringify({ path }))
	})
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
	const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
	return {
		origin,
		seen,
		close: () => new Promise<void>((resolve) => server.close(() => resolve())),
	}
}

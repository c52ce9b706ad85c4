import nock from 'nock'
import { createTokenServer } from './token-server.js'
import type { MockTokenEndpoint, TokenServerOptions } from './types.js'

/**
 * Intercepts the token endpoint (and the revocation endpoint, when given) with nock, answering
 * like a real provider: see {@link createTokenServer} for what it checks and simulates. The
 * interceptors persist until `done()` or `close()` (or `nock.cleanAll()`); other nock interceptors,
 * for the API under test, are untouched.
 *
 * Needs `nock` (>= 15) installed: it is an optional peer dependency of `@tokenwarden/core`.
 *
 * @example
 * const endpoint = mockTokenEndpoint({ tokenUrl, clientId: 'app', clientSecret: 'secret', expiresIn: 300 })
 * const tokens = createTokenManager({ tokenUrl, clientId: 'app', clientSecret: 'secret' })
 * await tokens.getToken()
 * expect(endpoint.count('client_credentials')).toBe(1)
 * endpoint.done()
 *
 * @throws TypeError when the options are wrong.
 */
export function mockTokenEndpoint(options: TokenServerOptions): MockTokenEndpoint {
	const server = createTokenServer(options)
	const urls = [server.tokenUrl, ...(options.revocationUrl === undefined ? [] : [new URL(options.revocationUrl).href])]
	const interceptors = urls.map((url) => {
		const { origin, pathname, search } = new URL(url)
		const interceptor = nock(origin)
			.persist()
			.post(pathname + search)
		// nock 15 hands a one-parameter reply function the fetch Request (two parameters would mean callback style).
		interceptor.reply(async (request: Request) => {
			const response = await server.handle(request)
			const headers: Record<string, string> = {}
			response.headers.forEach((value, name) => {
				headers[name] = value
			})
			return [response.status, await response.text(), headers] as const
		})
		return interceptor
	})
	let open = true

	function close(): void {
		if (!open) return
		open = false
		for (const interceptor of interceptors) nock.removeInterceptor(interceptor)
	}

	return Object.assign(server, {
		close,
		done() {
			close()
			server.verify()
		},
	})
}

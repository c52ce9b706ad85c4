import { createRequire } from 'node:module'
import { createTokenServer } from './token-server.js'
import type { MockTokenEndpoint, TokenServerOptions } from './types.js'

/**
 * Intercepts the token endpoint (and the revocation endpoint, when given) with nock, answering
 * like a real provider: see {@link createTokenServer} for what it checks and simulates. The
 * interceptors persist until `done()` or `close()` (or `nock.cleanAll()`); other nock interceptors,
 * for the API under test, are untouched.
 *
 * Needs `nock` (>= 15) installed: it is an optional peer dependency of `@tokenwarden/testing`,
 * loaded on the first call (so `staticTokenManager` and `createTokenServer` work without it).
 *
 * @example
 * const endpoint = mockTokenEndpoint({ tokenUrl, clientId: 'app', clientSecret: 'secret', expiresIn: 300 })
 * const tokens = createTokenManager({ tokenUrl, clientId: 'app', clientSecret: 'secret' })
 * await tokens.getToken()
 * expect(endpoint.count('client_credentials')).toBe(1)
 * endpoint.done()
 *
 * @throws TypeError when the options are wrong, or nock is not installed.
 */
export function mockTokenEndpoint(options: TokenServerOptions): MockTokenEndpoint {
	const server = createTokenServer(options)
	const nock = loadNock()
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

/** The subset of nock this helper uses (its own types stay out of this package's declarations). */
interface Nock {
	(origin: string): { persist(): { post(path: string): NockInterceptor } }
	removeInterceptor(interceptor: NockInterceptor): boolean
}

interface NockInterceptor {
	reply(answer: (request: Request) => Promise<readonly [number, string, Record<string, string>]>): unknown
}

let loaded: Nock | undefined

/**
 * `require` loads nock synchronously on first use (nock 15 is an ES module without top-level await, which
 * `require` loads on Node >= 22.12; an older CommonJS nock loads as well), from the module cache the
 * test's own `import nock from 'nock'` uses: the same instance, so its `cleanAll()` and
 * `disableNetConnect()` apply here too.
 */
function loadNock(): Nock {
	if (loaded !== undefined) return loaded
	try {
		const module = createRequire(import.meta.url)('nock') as Nock | { default: Nock }
		loaded = 'default' in module ? module.default : module
	} catch (error) {
		if ((error as { code?: unknown }).code !== 'MODULE_NOT_FOUND') throw error
		throw new TypeError('tokenwarden: mockTokenEndpoint needs nock (>= 15) installed next to @tokenwarden/testing (npm install --save-dev nock)', { cause: error })
	}
	return loaded
}

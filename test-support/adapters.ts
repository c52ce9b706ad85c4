// Shared by the tests of @tokenwarden/axios and @tokenwarden/ky: the real manager against the mock
// token endpoint of @tokenwarden/testing, nock API endpoints, loopback servers for redirects,
// and the scenarios both adapters must pass. Each package describes its client once (test/driver.ts)
// and names every test itself, so a failure says which adapter broke; the test body says only what
// is particular to that client.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { inspect } from 'node:util'
import nock from 'nock'
import { afterEach, beforeEach, expect } from 'vitest'
import { ConsentRequiredError, createTokenManager, OAuthError, type TokenManager, type TokenManagerOptions } from '@tokenwarden/core'
import type { AdapterOptions, RequestTokenOptions } from '@tokenwarden/core/adapter'
import { type MockTokenEndpoint, mockTokenEndpoint } from '@tokenwarden/testing'

export const API = 'https://api.example.com'
const TOKEN_URL = 'https://auth.example.com/oauth/token'
const CLIENT = { tokenUrl: TOKEN_URL, clientId: 'client-1', clientSecret: 'client-secret' }

const tokenEndpoints: MockTokenEndpoint[] = []
const servers: { close(): Promise<void> }[] = []

/**
 * A real manager and the mock token endpoint it talks to, which hands out `access-1`, `access-2`, …
 * (`tokenEndpoint.count()` counts the token requests; `failNext` makes one fail). {@link useNock}
 * checks the endpoint after each test: a failed client authentication or an unused `failNext` fails it.
 */
export function setup(overrides: Partial<TokenManagerOptions> = {}) {
	const tokenEndpoint = mockTokenEndpoint(CLIENT)
	tokenEndpoints.push(tokenEndpoint)
	// No retries of the token request: a failure the test asks for is the answer it checks.
	const tokens = createTokenManager({ ...CLIENT, retry: false, ...overrides } as TokenManagerOptions)
	return { tokens, tokenEndpoint }
}

/** The scope of each token request, in order. */
function scopesAsked(tokenEndpoint: MockTokenEndpoint): (string | undefined)[] {
	return tokenEndpoint.requests.map((request) => request.form.scope)
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

/** For every test file: no network except loopback; after each test, the token endpoints checked and nothing left over. */
export function useNock(): void {
	beforeEach(() => {
		nock.disableNetConnect()
		nock.enableNetConnect(/127\.0\.0\.1/)
	})
	afterEach(async () => {
		await Promise.all(servers.splice(0).map((server) => server.close()))
		const endpoints = tokenEndpoints.splice(0)
		try {
			for (const tokenEndpoint of endpoints) tokenEndpoint.done()
		} finally {
			nock.cleanAll()
			nock.enableNetConnect()
		}
	})
}

/** A real HTTP server on 127.0.0.1 (for redirects, which nock does not follow like a network does), closed after the test. */
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
	const started = {
		origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
		seen,
		close: () => new Promise<void>((resolve) => server.close(() => resolve())),
	}
	servers.push(started)
	return started
}

/** A request's own token choice: `false` for none, or which token. The driver puts it where its client reads it. */
export type RequestToken = false | RequestTokenOptions

/** What the scenarios need of one adapter's client `C`: each package's test/driver.ts says it once. */
export interface AdapterDriver<C> {
	/** `withTokens` on a fresh client whose base URL is `base` (default {@link API}). */
	create(tokens: TokenManager, options?: AdapterOptions, base?: string): C
	/** GET `url` (relative to the base URL, or absolute) with this request's token choice and headers; resolves to the status. */
	get(client: C, url: string, token?: RequestToken, headers?: Record<string, string>): Promise<number>
	/** POST `body` as it is (a stream, say) to `url`; resolves to the status. */
	post(client: C, url: string, body: unknown): Promise<number>
	/** What the client rejects with for an HTTP error status. */
	HttpError: ErrorClass
}

/** A class of errors, for `toBeInstanceOf`. */
type ErrorClass = abstract new (...args: never[]) => Error

/** A client of `driver` made some other way than `driver.create(tokens)`, for scenarios that take one. */
type MakeClient<C> = (tokens: TokenManager) => C

/** Awaits a request that must fail with the client's HTTP error for `status`; returns the error. */
async function rejectsWithStatus<C>(driver: AdapterDriver<C>, sending: Promise<unknown>, status: number): Promise<Error> {
	const error = await sending.then(
		() => undefined,
		(caught: unknown) => caught,
	)
	expect(error).toBeInstanceOf(driver.HttpError)
	expect(error).toMatchObject({ response: { status } })
	return error as Error
}

/** How an error looks when logged or serialised. */
function views(value: unknown): string[] {
	return [JSON.stringify(value), inspect(value), inspect(value, { depth: 10 })]
}

/**
 * The scenarios both adapters must pass, each run with a package's driver. Their steps and checks are
 * the same for axios and ky; an argument says what differs (a client made another way, the requests to send).
 */
export const scenarios = {
	// Which requests get a token.

	/** Each of `urls` reaches `path` on the API through a client whose base URL is `base`: all carry one token. */
	async oneTokenForManyRequests<C>(driver: AdapterDriver<C>, { base = API, path, urls }: { base?: string; path: string; urls: readonly string[] }) {
		const { tokens, tokenEndpoint } = setup()
		const { seen } = endpoint(API, path)
		const client = driver.create(tokens, undefined, base)
		for (const url of urls) await driver.get(client, url)
		expect(seen).toEqual(urls.map(() => 'Bearer access-1'))
		expect(tokenEndpoint.count()).toBe(1)
	},

	/**
	 * Each of `sends` goes to /steal on another origin than the client's https://api.example.com
	 * (https://evil.example.com, or the same host with another scheme or port): none carries a token or asks for one.
	 */
	async noTokenForOtherOrigins<C>(driver: AdapterDriver<C>, sends: readonly ((client: C) => Promise<unknown>)[]) {
		const { tokens, tokenEndpoint } = setup()
		const elsewhere = ['https://evil.example.com', 'http://api.example.com', 'https://api.example.com:8443'].map((origin) => endpoint(origin, '/steal'))
		const client = driver.create(tokens)
		for (const send of sends) await send(client)
		expect(elsewhere.flatMap(({ seen }) => seen)).toEqual(sends.map(() => null))
		expect(tokenEndpoint.count()).toBe(0)
	},

	async originsWidenTheSet<C>(driver: AdapterDriver<C>) {
		const { tokens } = setup()
		const other = endpoint('https://files.example.com', '/doc')
		const foreign = endpoint('https://evil.example.com', '/doc')
		const client = driver.create(tokens, { origins: ['https://files.example.com'] })
		await driver.get(client, 'https://files.example.com/doc')
		await driver.get(client, 'https://evil.example.com/doc')
		expect(other.seen).toEqual(['Bearer access-1'])
		expect(foreign.seen).toEqual([null])
	},

	async optOutSendsNoToken<C>(driver: AdapterDriver<C>) {
		const { tokens, tokenEndpoint } = setup()
		const { seen } = endpoint(API, '/health')
		const client = driver.create(tokens)
		await driver.get(client, '/health', false)
		await driver.get(client, '/health', false, { Authorization: 'Basic mine' })
		expect(seen).toEqual([null, 'Basic mine'])
		expect(tokenEndpoint.count()).toBe(0)
	},

	/** The client's scope beats the manager's, a request's beats the client's; `plain` sends a request that names none. */
	async scopePerRequest<C>(driver: AdapterDriver<C>, plain: (client: C) => Promise<unknown> = (client) => driver.get(client, '/cob', {})) {
		const { tokens, tokenEndpoint } = setup({ scope: 'manager.default' })
		const { seen } = endpoint(API, '/cob')
		const client = driver.create(tokens, { scope: 'cob.read' })
		await driver.get(client, '/cob')
		await driver.get(client, '/cob', { scope: ['cob.write'] })
		await plain(client)
		expect(scopesAsked(tokenEndpoint)).toEqual(['cob.read', 'cob.write'])
		expect(seen).toEqual(['Bearer access-1', 'Bearer access-2', 'Bearer access-1'])
	},

	async clientsShareOneManager<C>(driver: AdapterDriver<C>) {
		const { tokens, tokenEndpoint } = setup()
		const one = endpoint(API, '/one')
		const two = endpoint('https://api2.example.com', '/two')
		const first = driver.create(tokens)
		const second = driver.create(tokens, undefined, 'https://api2.example.com')
		await Promise.all([driver.get(first, '/one'), driver.get(second, '/two'), driver.get(first, 'https://api2.example.com/two')])
		expect(one.seen).toEqual(['Bearer access-1'])
		expect(two.seen.sort()).toEqual([null, 'Bearer access-1'].sort())
		expect(tokenEndpoint.count()).toBe(1)
	},

	/** `client` (installed more than once) gets a 401 once: one retry, not one per installation, with tokens for `scope`. */
	async retriesOnceFor<C>(driver: AdapterDriver<C>, client: C, tokenEndpoint: MockTokenEndpoint, scope: string) {
		const { seen } = endpoint(API, '/cob', (_authorization, count) => (count === 1 ? 401 : 200))
		await driver.get(client, '/cob')
		expect(seen).toEqual(['Bearer access-1', 'Bearer access-2'])
		expect(scopesAsked(tokenEndpoint)).toEqual([scope, scope])
	},

	/** Each bad per-request token choice rejects its request with `error` before any token or API request. */
	async badRequestTokenRejects<C>(driver: AdapterDriver<C>, cases: readonly (readonly [choice: unknown, error: RegExp | typeof TypeError])[]) {
		const { tokens, tokenEndpoint } = setup()
		const { seen } = endpoint(API, '/cob')
		const client = driver.create(tokens)
		for (const [choice, error] of cases) await expect(driver.get(client, '/cob', choice as RequestToken)).rejects.toThrow(error)
		expect(seen).toEqual([])
		expect(tokenEndpoint.count()).toBe(0)
	},

	async redirectKeepsTokenWithinOrigin<C>(driver: AdapterDriver<C>) {
		const { tokens } = setup()
		const other = await startServer(() => ({ status: 200 }))
		const home = await startServer((path) => {
			if (path === '/away') return { status: 302, location: `${other.origin}/landing` }
			if (path === '/stay') return { status: 302, location: '/landing' }
			return { status: 200 }
		})
		const client = driver.create(tokens, undefined, home.origin)
		await driver.get(client, '/away')
		await driver.get(client, '/stay')
		expect(other.seen).toEqual([{ path: '/landing', authorization: undefined }])
		expect(home.seen).toEqual([
			{ path: '/away', authorization: 'Bearer access-1' },
			{ path: '/stay', authorization: 'Bearer access-1' },
			{ path: '/landing', authorization: 'Bearer access-1' },
		])
	},

	// After a 401.

	/** A 401 drops the token sent, the retry carries a fresh one, which is the cached one from then on. */
	async retriesOnceWithFreshToken<C>(driver: AdapterDriver<C>, makeClient: MakeClient<C> = (tokens) => driver.create(tokens)) {
		const { tokens, tokenEndpoint } = setup()
		const { seen } = endpoint(API, '/cob', acceptOnly('access-2'))
		const client = makeClient(tokens)
		expect(await driver.get(client, '/cob')).toBe(200)
		expect(seen).toEqual(['Bearer access-1', 'Bearer access-2'])
		expect(tokenEndpoint.count()).toBe(2)
		await driver.get(client, '/cob')
		expect(seen.at(-1)).toBe('Bearer access-2')
		expect(tokenEndpoint.count()).toBe(2)
	},

	async secondUnauthorizedReachesCaller<C>(driver: AdapterDriver<C>, makeClient: MakeClient<C> = (tokens) => driver.create(tokens)) {
		const { tokens, tokenEndpoint } = setup()
		const { seen } = endpoint(API, '/cob', () => 401)
		await rejectsWithStatus(driver, driver.get(makeClient(tokens), '/cob'), 401)
		expect(seen).toEqual(['Bearer access-1', 'Bearer access-2'])
		expect(tokenEndpoint.count()).toBe(2)
	},

	/** The retry's 401 is about the fresh token: it is dropped as well, and the next request gets another. */
	async secondUnauthorizedDropsFreshToken<C>(driver: AdapterDriver<C>) {
		const { tokens, tokenEndpoint } = setup()
		const { seen } = endpoint(API, '/cob', acceptOnly('access-3'))
		const client = driver.create(tokens)
		await rejectsWithStatus(driver, driver.get(client, '/cob'), 401)
		expect(await driver.get(client, '/cob')).toBe(200)
		expect(seen).toEqual(['Bearer access-1', 'Bearer access-2', 'Bearer access-3'])
		expect(tokenEndpoint.count()).toBe(3)
	},

	async noRetryWhenTurnedOff<C>(driver: AdapterDriver<C>) {
		const { tokens } = setup()
		const { seen } = endpoint(API, '/cob', () => 401)
		await rejectsWithStatus(driver, driver.get(driver.create(tokens, { retryUnauthorized: false }), '/cob'), 401)
		expect(seen).toEqual(['Bearer access-1'])
	},

	async noRetryWithoutToken<C>(driver: AdapterDriver<C>) {
		const { tokens, tokenEndpoint } = setup()
		const foreign = endpoint('https://evil.example.com', '/x', () => 401)
		const own = endpoint(API, '/x', () => 401)
		const client = driver.create(tokens)
		await rejectsWithStatus(driver, driver.get(client, 'https://evil.example.com/x'), 401)
		await rejectsWithStatus(driver, driver.get(client, '/x', false), 401)
		expect([...foreign.seen, ...own.seen]).toEqual([null, null])
		expect(tokenEndpoint.count()).toBe(0)
	},

	async concurrentUnauthorizedShareOneRefresh<C>(driver: AdapterDriver<C>) {
		const { tokens, tokenEndpoint } = setup()
		const { seen } = endpoint(API, '/cob', acceptOnly('access-2'))
		const client = driver.create(tokens)
		const statuses = await Promise.all(Array.from({ length: 100 }, () => driver.get(client, '/cob')))
		expect(statuses.every((status) => status === 200)).toBe(true)
		expect(tokenEndpoint.count()).toBe(2)
		expect(seen.filter((header) => header === 'Bearer access-1')).toHaveLength(100)
		expect(seen.filter((header) => header === 'Bearer access-2')).toHaveLength(100)
	},

	/** Without a retry the token that got the 401 is still dropped: the next request gets a fresh one instead of the same 401 until it expires. */
	async staleTokenDroppedWithoutRetry<C>(driver: AdapterDriver<C>) {
		const { tokens, tokenEndpoint } = setup()
		const { seen } = endpoint(API, '/cob', acceptOnly('access-2'))
		const client = driver.create(tokens, { retryUnauthorized: false })
		await rejectsWithStatus(driver, driver.get(client, '/cob'), 401)
		expect(await driver.get(client, '/cob')).toBe(200)
		expect(seen).toEqual(['Bearer access-1', 'Bearer access-2'])
		expect(tokenEndpoint.count()).toBe(2)
	},

	/** A 401 on a body that cannot be sent again is not retried, but the token it carried is dropped all the same. */
	async staleTokenDroppedAfterUnreplayableBody<C>(driver: AdapterDriver<C>, stream: () => unknown) {
		const { tokens, tokenEndpoint } = setup()
		const upload = endpoint(API, '/upload', acceptOnly('access-2'), 'post')
		const cob = endpoint(API, '/cob', acceptOnly('access-2'))
		const client = driver.create(tokens)
		await rejectsWithStatus(driver, driver.post(client, '/upload', stream()), 401)
		expect(await driver.get(client, '/cob')).toBe(200)
		expect(upload.seen).toEqual(['Bearer access-1'])
		expect(cob.seen).toEqual(['Bearer access-2'])
		expect(tokenEndpoint.count()).toBe(2)
	},

	/** `stream()` makes a body that can be read once: after a 401 it is not sent again. */
	async streamedBodyNotReplayed<C>(driver: AdapterDriver<C>, stream: () => unknown) {
		const { tokens, tokenEndpoint } = setup()
		const { seen } = endpoint(API, '/upload', acceptOnly('access-2'), 'post')
		await rejectsWithStatus(driver, driver.post(driver.create(tokens), '/upload', stream()), 401)
		expect(seen).toEqual(['Bearer access-1'])
		expect(tokenEndpoint.count()).toBe(1)
	},

	// Errors of the token manager reach the caller unchanged.

	async tokenEndpointErrorReachesCaller<C>(driver: AdapterDriver<C>) {
		const { tokens, tokenEndpoint } = setup()
		tokenEndpoint.failNext('invalid_client')
		const { seen } = endpoint(API, '/cob')
		const error = await driver.get(driver.create(tokens), '/cob').catch((caught: unknown) => caught)
		expect(error).toBeInstanceOf(OAuthError)
		expect(error).not.toBeInstanceOf(driver.HttpError)
		expect((error as OAuthError).error).toBe('invalid_client')
		expect(seen).toEqual([])
	},

	/** Without consent for the subject, named by the client or by the request, no API request is made (nock would refuse it). */
	async consentRequiredReachesCaller<C>(driver: AdapterDriver<C>) {
		const { tokens } = setup()
		const requests = [() => driver.get(driver.create(tokens, { subject: 'account-42' }), '/saldo'), () => driver.get(driver.create(tokens), '/saldo', { subject: 'account-42' })]
		for (const request of requests) {
			const error = await request().catch((caught: unknown) => caught)
			expect(error).toBeInstanceOf(ConsentRequiredError)
			expect((error as ConsentRequiredError).subject).toBe('account-42')
		}
	},

	async tokenErrorOnRetryReachesCaller<C>(driver: AdapterDriver<C>) {
		const { tokens, tokenEndpoint } = setup()
		// The API refuses the first token, and the token endpoint then refuses the request for a fresh one.
		endpoint(API, '/cob', () => {
			tokenEndpoint.failNext('invalid_scope')
			return 401
		})
		await expect(driver.get(driver.create(tokens), '/cob')).rejects.toBeInstanceOf(OAuthError)
		expect(tokenEndpoint.requests.map((request) => request.error)).toEqual([undefined, 'invalid_scope'])
	},

	// Tokens stay out of errors.

	/** An error status after the request went out with the token: logged or serialised, the error does not show it. Returns it. */
	async httpErrorShowsNoToken<C>(driver: AdapterDriver<C>, makeClient: MakeClient<C> = (tokens) => driver.create(tokens)) {
		const { tokens } = setup()
		const { seen } = endpoint(API, '/cob', () => 500)
		const error = await rejectsWithStatus(driver, driver.get(makeClient(tokens), '/cob'), 500)
		expect(seen).toEqual(['Bearer access-1'])
		for (const text of views(error)) expect(text).not.toContain('access-1')
		return error
	},

	/** The 401 after the retry shows neither token. Returns it. */
	async finalUnauthorizedShowsNoToken<C>(driver: AdapterDriver<C>) {
		const { tokens } = setup()
		endpoint(API, '/cob', () => 401)
		const error = await rejectsWithStatus(driver, driver.get(driver.create(tokens), '/cob'), 401)
		for (const text of views(error)) {
			expect(text).not.toContain('access-1')
			expect(text).not.toContain('access-2')
		}
		return error
	},
}

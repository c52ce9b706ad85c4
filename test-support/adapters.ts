// Shared by the tests of @tokenwarden/axios, @tokenwarden/ky and @tokenwarden/fetch: the real manager against the mock
// token endpoint of @tokenwarden/testing, nock API endpoints, loopback servers for redirects,
// and the scenarios both adapters must pass. Each package describes its client once (test/driver.ts)
// and names every test itself, so a failure says which adapter broke; the test body says only what
// is particular to that client.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { inspect } from 'node:util'
import nock from 'nock'
import { afterEach, beforeEach, describe, expect, test } from 'vitest'
import { ConsentRequiredError, createTokenManager, OAuthError, type TokenManager, type TokenManagerOptions } from '@tokenwarden/core'
import type { AdapterOptions, RequestTokenOptions, ResponseView } from '@tokenwarden/core/adapter'
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
export function endpoint(
	origin: string,
	path: string | RegExp,
	status: (authorization: string | null, count: number) => number = () => 200,
	method: 'get' | 'post' = 'get',
	headers: Record<string, string> = {},
) {
	const seen: (string | null)[] = []
	nock(origin)
		.persist()
		.intercept(path, method.toUpperCase())
		.reply(async (request: Request) => {
			const authorization = request.headers.get('authorization')
			seen.push(authorization)
			await request.arrayBuffer()
			const code = status(authorization, seen.length)
			return [code, { ok: code < 400 }, headers]
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

/** What an API origin saw of one request: the full URL and the headers a provider decoration can carry. */
export interface DecoratedRequest {
	url: string
	authorization: string | null
	clientId: string | null
	account: string | null
}

/** A nock API origin (GET and POST, any path) that records each request's URL and decoration headers (issue 20's `decorate`). */
export function recordingApi(origin: string): DecoratedRequest[] {
	const seen: DecoratedRequest[] = []
	const record = (request: Request) => {
		seen.push({
			url: request.url,
			authorization: request.headers.get('authorization'),
			clientId: request.headers.get('client_id'),
			account: request.headers.get('x-conta-corrente'),
		})
		return [200, {}] as const
	}
	nock(origin).persist().get(/.*/).reply(record).post(/.*/).reply(record)
	return seen
}

/** A real HTTP server on 127.0.0.1 (for redirects, which nock does not follow like a network does), closed after the test. */
export async function startServer(handle: (path: string, headers: IncomingHttpHeaders, count: number) => { status: number; location?: string; headers?: Record<string, string> }) {
	const seen: { path: string; authorization: string | undefined }[] = []
	const server: Server = createServer((request, response) => {
		const path = request.url ?? '/'
		seen.push({ path, authorization: request.headers.authorization })
		const { status, location, headers = {} } = handle(path, request.headers, seen.length)
		response.writeHead(status, location === undefined ? { 'content-type': 'application/json', ...headers } : { location, ...headers })
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

/** A manager clock whose time moves only when a scenario says so (timers still run on the real clock). */
export function manualClock(start = Date.now()) {
	let now = start
	return {
		now: () => now,
		advance: (ms: number) => {
			now += ms
		},
		setTimeout: (callback: () => void, ms: number) => setTimeout(callback, ms),
		clearTimeout: (handle: unknown) => clearTimeout(handle as ReturnType<typeof setTimeout>),
	}
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

/** RFC 6750 §3.1: the token is fine, it lacks a privilege. */
const INSUFFICIENT_SCOPE = { 'www-authenticate': 'Bearer realm="api", error="insufficient_scope", scope="cob.write"' }

/**
 * Scenarios of the one 401 policy of `@tokenwarden/core/adapter` (issue 13). Every adapter built on
 * `createTokenPolicy` passes them. Two groups, so that each adapter's tests can say which it runs:
 * - {@link policyScenarios}: hold for any adapter on the core policy (axios and ky once migrated onto it);
 * - {@link cooldownScenarios}: hold once the manager keeps a just-issued replacement token through a
 *   cooldown instead of dropping it on the next rejection (the core-state change of issue 13); until then
 *   run them with `test.runIf(await managerKeepsReplacement())`.
 */
export const policyScenarios = {
	/** `Bearer error="insufficient_scope"` is about a privilege, not the token: no drop, no retry, the 401 to the caller. */
	async insufficientScopeReachesCaller<C>(driver: AdapterDriver<C>) {
		const { tokens, tokenEndpoint } = setup()
		const { seen } = endpoint(API, '/cob', () => 401, 'get', INSUFFICIENT_SCOPE)
		const client = driver.create(tokens)
		await rejectsWithStatus(driver, driver.get(client, '/cob'), 401)
		await rejectsWithStatus(driver, driver.get(client, '/cob'), 401)
		expect(seen).toEqual(['Bearer access-1', 'Bearer access-1'])
		expect(tokenEndpoint.count()).toBe(1)
	},

	/** On a real server that rejects the first token once: one retry with a fresh token, then 200s with it. */
	async rejectedOnceRecovers<C>(driver: AdapterDriver<C>) {
		const { tokens, tokenEndpoint } = setup()
		const api = await startServer((_path, _headers, count) => ({ status: count === 1 ? 401 : 200 }))
		const client = driver.create(tokens, undefined, api.origin)
		expect(await driver.get(client, '/cob')).toBe(200)
		expect(await driver.get(client, '/cob')).toBe(200)
		expect(api.seen.map(({ authorization }) => authorization)).toEqual(['Bearer access-1', 'Bearer access-2', 'Bearer access-2'])
		expect(tokenEndpoint.count()).toBe(2)
	},

	/** A 401 from another origin, reached by a redirect, is not taken for a rejected token: no drop, no retry. */
	async unauthorizedAfterRedirectElsewhereReachesCaller<C>(driver: AdapterDriver<C>) {
		const { tokens, tokenEndpoint } = setup()
		const other = await startServer(() => ({ status: 401 }))
		const home = await startServer((path) => (path === '/away' ? { status: 302, location: `${other.origin}/login` } : { status: 200 }))
		const client = driver.create(tokens, undefined, home.origin)
		await rejectsWithStatus(driver, driver.get(client, '/away'), 401)
		expect(await driver.get(client, '/cob')).toBe(200)
		expect(other.seen).toEqual([{ path: '/login', authorization: undefined }])
		expect(home.seen.map(({ authorization }) => authorization)).toEqual(['Bearer access-1', 'Bearer access-1'])
		expect(tokenEndpoint.count()).toBe(1)
	},

	/** `isTokenRejected` decides: here a 403 with `x-error: token_expired` is a rejected token, and a plain 401 is not. */
	async customClassifierDecides<C>(driver: AdapterDriver<C>) {
		const { tokens, tokenEndpoint } = setup()
		const seen: (string | null)[] = []
		nock(API)
			.persist()
			.get('/cob')
			.reply((request: Request) => {
				const authorization = request.headers.get('authorization')
				seen.push(authorization)
				return authorization === 'Bearer access-2' ? [200, {}] : [403, {}, { 'x-error': 'token_expired' }]
			})
		const other = endpoint(API, '/other', () => 401)
		const isTokenRejected = (response: ResponseView) => response.status === 403 && response.headers.get('x-error') === 'token_expired'
		const client = driver.create(tokens, { isTokenRejected })
		expect(await driver.get(client, '/cob')).toBe(200)
		await rejectsWithStatus(driver, driver.get(client, '/other'), 401)
		expect(seen).toEqual(['Bearer access-1', 'Bearer access-2'])
		expect(other.seen).toEqual(['Bearer access-2'])
		expect(tokenEndpoint.count()).toBe(2)
	},

	/** A path that rejects every token for one scope leaves the other scopes (cache keys) of the manager alone. */
	async otherKeysUnaffected<C>(driver: AdapterDriver<C>) {
		const { tokens, tokenEndpoint } = setup()
		endpoint(API, '/forbidden', () => 401)
		const { seen } = endpoint(API, '/cob')
		const client = driver.create(tokens, { scope: 'cob.read' })
		await rejectsWithStatus(driver, driver.get(client, '/forbidden', { scope: 'saldo.read' }), 401)
		expect(await driver.get(client, '/cob')).toBe(200)
		expect(seen).toEqual(['Bearer access-3'])
		expect(scopesAsked(tokenEndpoint)).toEqual(['saldo.read', 'saldo.read', 'cob.read'])
	},
}

/**
 * Whether the manager keeps a token it issued to replace a rejected one when that is rejected again
 * (the cooldown of issue 13). {@link cooldownScenarios} need it.
 */
export async function managerKeepsReplacement(): Promise<boolean> {
	const tokenEndpoint = mockTokenEndpoint(CLIENT)
	try {
		const tokens = createTokenManager({ ...CLIENT, retry: false } as TokenManagerOptions)
		await tokens.invalidate(await tokens.getToken())
		const replacement = await tokens.getToken()
		await tokens.invalidate(replacement)
		return (await tokens.getToken()).accessToken === replacement.accessToken
	} finally {
		nock.cleanAll()
		void tokenEndpoint
	}
}

/** Scenarios that need the manager's replacement cooldown (see {@link policyScenarios}). */
export const cooldownScenarios = {
	/** An API that rejects every token: 100 concurrent calls cause at most 2 token requests, and each call gets its 401. */
	async alwaysRejectingConcurrent<C>(driver: AdapterDriver<C>) {
		const { tokens, tokenEndpoint } = setup()
		const { seen } = endpoint(API, '/cob', () => 401)
		const client = driver.create(tokens)
		const outcomes = await Promise.allSettled(Array.from({ length: 100 }, () => driver.get(client, '/cob')))
		for (const outcome of outcomes) expect(outcome).toMatchObject({ status: 'rejected', reason: { response: { status: 401 } } })
		expect(tokenEndpoint.count()).toBeLessThanOrEqual(2)
		expect(seen.length).toBeLessThanOrEqual(200)
	},

	/** An API that rejects every token: 1,000 sequential calls over one minute (manager clock) cause at most 6 token requests. */
	async alwaysRejectingSequential<C>(driver: AdapterDriver<C>) {
		const clock = manualClock()
		const { tokens, tokenEndpoint } = setup({ clock })
		endpoint(API, '/cob', () => 401)
		const client = driver.create(tokens)
		for (let call = 0; call < 1000; call++) {
			await rejectsWithStatus(driver, driver.get(client, '/cob'), 401)
			clock.advance(60)
		}
		expect(tokenEndpoint.count()).toBeLessThanOrEqual(6)
	},

	/** The retry's 401 does not drop the fresh token at once: the next call sends it again and gets its 401 without a token request. */
	async freshTokenKeptThroughCooldown<C>(driver: AdapterDriver<C>) {
		const { tokens, tokenEndpoint } = setup()
		const { seen } = endpoint(API, '/cob', () => 401)
		const client = driver.create(tokens)
		await rejectsWithStatus(driver, driver.get(client, '/cob'), 401)
		await rejectsWithStatus(driver, driver.get(client, '/cob'), 401)
		expect(seen).toEqual(['Bearer access-1', 'Bearer access-2', 'Bearer access-2'])
		expect(tokenEndpoint.count()).toBe(2)
	},
}

/** Registers the 401-policy tests ({@link policyScenarios}) for each named driver of one adapter (e.g. axios' http and fetch adapters, ky 1 and 2). */
export function policyTests<C>(variants: ReadonlyArray<readonly [string, AdapterDriver<C>]>): void {
	describe.each(variants.map(([name, variant]) => [name, variant] as [string, AdapterDriver<C>]))('the 401 policy, %s', (_name, variant) => {
		test('insufficient_scope (RFC 6750 §3.1) reaches the caller: no invalidate, no retry', () => policyScenarios.insufficientScopeReachesCaller(variant))
		test('a real server that rejects the first token once: one retry, then the fresh token', () => policyScenarios.rejectedOnceRecovers(variant))
		test('a redirect to another origin that answers 401 is not a stale token: no invalidate, no retry', () =>
			policyScenarios.unauthorizedAfterRedirectElsewhereReachesCaller(variant))
		test('isTokenRejected decides which responses reject the token', () => policyScenarios.customClassifierDecides(variant))
		test('a path that rejects every token leaves the other scopes of the manager alone', () => policyScenarios.otherKeysUnaffected(variant))
	})
}

/** Registers the tests of an API that rejects every token ({@link cooldownScenarios}) for one adapter's driver. */
export function cooldownTests<C>(driver: AdapterDriver<C>): void {
	describe('an API that rejects every token (the manager keeps a just-issued token through a cooldown)', () => {
		test('100 concurrent calls to an always-401 API cause at most 2 token requests, and each call gets its 401', () => cooldownScenarios.alwaysRejectingConcurrent(driver))
		test('1,000 sequential calls over a minute cause at most 6 token requests', () => cooldownScenarios.alwaysRejectingSequential(driver), 60_000)
		test('the fresh token is kept through the cooldown: the next call gets its 401 without a token request', () => cooldownScenarios.freshTokenKeptThroughCooldown(driver))
	})
}

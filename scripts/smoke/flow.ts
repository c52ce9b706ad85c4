// The smoke test's consumer flow, run in a fresh project where the packed tarballs were installed with npm.
// It receives the packages as arguments from consumer.ts, loaded as its setup compiles imports: this file
// itself imports only types (and assert, as a named import that every setup compiles the same way).
import { strict as assert } from 'node:assert'
import type * as Core from '@tokenwarden/core'
import type * as Adapter from '@tokenwarden/core/adapter'
import type * as Providers from '@tokenwarden/core/providers'
import type * as Testing from '@tokenwarden/testing'
import type * as AxiosAdapter from '@tokenwarden/axios'
import type * as FetchAdapter from '@tokenwarden/fetch'
import type * as KyAdapter from '@tokenwarden/ky'
import type * as RedisAdapter from '@tokenwarden/redis'
import type { AxiosInstance, AxiosRequestConfig, AxiosStatic } from 'axios'
import type { KyInstance } from 'ky'

/** Every entry point of the packages, and the two HTTP clients. */
export interface Modules {
	core: typeof Core
	adapter: typeof Adapter
	providers: typeof Providers
	testing: typeof Testing
	axiosAdapter: typeof AxiosAdapter
	fetchAdapter: typeof FetchAdapter
	kyAdapter: typeof KyAdapter
	redis: typeof RedisAdapter
	axios: AxiosStatic
	ky: KyInstance
}

/** Runs the flow against the smoke servers named in the environment; throws on the first broken expectation. */
export async function exercise(modules: Modules): Promise<void> {
	const { core, adapter, providers, testing, axiosAdapter, fetchAdapter, kyAdapter, redis, axios, ky } = modules
	const { TOKEN_URL, API_URL, FOREIGN_URL, CLIENT_ID, CLIENT_SECRET } = environment()
	const warnings: string[] = []
	const logger = { debug() {}, info() {}, warn: (message: unknown) => void warnings.push(String(message)), error: (message: unknown) => void warnings.push(String(message)) }

	// A provider preset from the subpath, pointed at the local token endpoint.
	const tokens = core.createTokenManager({ ...providers.juno({ environment: 'sandbox', clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, tokenUrl: TOKEN_URL }), logger })
	const first = await tokens.getToken()
	assert.match(first.accessToken, /^smoke-access-\d+$/)
	assert.equal(first.tokenType, 'Bearer')
	assert.ok(!JSON.stringify(first).includes(first.accessToken), 'a Token masks its access token when serialised')
	assert.equal(adapter.originOf(`${API_URL}/any/path`), API_URL)

	// axios: the token on its own origin, none elsewhere, one retry with a new token after a 401.
	const api = axiosAdapter.withTokens(axios.create({ baseURL: API_URL }), tokens)
	assert.deepEqual((await api.get('/resource')).data, { path: '/resource', token: first.accessToken })
	assert.deepEqual((await api.get('/public', { tokenwarden: false })).data, { path: '/public', authorization: null })
	assert.deepEqual((await api.get(`${FOREIGN_URL}/elsewhere`)).data, { path: '/elsewhere', authorization: null })
	const second = (await api.get<{ token: string }>('/revoke-once/axios')).data.token
	assert.notEqual(second, first.accessToken, 'after the 401 the retry carried a new token')
	assert.equal((await tokens.getToken()).accessToken, second, 'the 401 dropped the token it was sent with')

	// Types from the packed declarations (checked by tsc in each setup): the client the caller's own axios
	// types describe is what withTokens takes and returns, and the module augmentation reaches those types.
	const instance: AxiosInstance = axiosAdapter.withTokens(axios.create({ baseURL: API_URL }), tokens, { scope: 'smoke' })
	const config: AxiosRequestConfig = { tokenwarden: { scope: 'other' } }
	assert.equal(typeof instance.get, 'function')
	assert.deepEqual(config.tokenwarden, { scope: 'other' })
	// @ts-expect-error: `true` is not a tokenwarden request option
	const mistyped = () => api.get('/resource', { tokenwarden: true })
	assert.equal(typeof mistyped, 'function')

	// The manager does not drop a replacement token that is rejected again within its cooldown (so an API
	// that rejects every token cannot storm the token endpoint): the ky 401 below needs a token of its own.
	await assert.rejects(api.get('/revoke-once/axios-again'), (error: { response?: { status?: number } }) => error.response?.status === 401)
	assert.equal((await tokens.getToken()).accessToken, second, 'a replacement rejected within the cooldown is kept')

	// ky: another manager (a token that was not issued to replace a rejected one); a per-request context turns the token off.
	const kyTokens = core.createTokenManager({ ...providers.juno({ environment: 'sandbox', clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, tokenUrl: TOKEN_URL }), logger })
	const kyApi = kyAdapter.withTokens(ky.create({ baseUrl: API_URL }), kyTokens)
	const kyFirst = (await kyApi.get('resource').json<{ token: string }>()).token
	assert.ok(kyFirst !== second && kyFirst !== first.accessToken, 'another manager, another token')
	const context = { tokenwarden: false } satisfies KyAdapter.TokenwardenContext
	assert.deepEqual(await kyApi.get('public', { context }).json(), { path: '/public', authorization: null })
	assert.deepEqual(await kyApi.get(`${FOREIGN_URL}/elsewhere`).json(), { path: '/elsewhere', authorization: null })
	const third = (await kyApi.get('revoke-once/ky').json<{ token: string }>()).token
	assert.ok(third !== kyFirst && third !== second, 'after the 401 the retry carried a new token')

	// fetch: the same token on the base URL's origin, none elsewhere.
	const fetchApi = fetchAdapter.withTokens(fetch, kyTokens, { baseUrl: API_URL })
	assert.deepEqual(await (await fetchApi('/resource')).json(), { path: '/resource', token: third })
	assert.deepEqual(await (await fetchApi(`${FOREIGN_URL}/elsewhere`)).json(), { path: '/elsewhere', authorization: null })

	// Errors are instances of the classes the package exports.
	const refused = core.createTokenManager({ ...providers.juno({ environment: 'sandbox', clientId: CLIENT_ID, clientSecret: 'not-the-secret', tokenUrl: TOKEN_URL }), logger })
	await assert.rejects(refused.getToken(), (error: unknown) => {
		assert.ok(error instanceof core.OAuthError && error instanceof core.TokenWardenError)
		assert.equal(error.error, 'invalid_client')
		assert.ok(!JSON.stringify(error).includes('not-the-secret') && !String(error.stack).includes('not-the-secret'))
		return true
	})

	// @tokenwarden/testing and the redis package load, over the one copy of core.
	const fake = testing.staticTokenManager('static-token')
	const server = testing.createTokenServer({ tokenUrl: TOKEN_URL, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET })
	const served = core.createTokenManager({ tokenUrl: TOKEN_URL, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, fetch: server.fetch, logger })
	assert.equal((await served.getToken()).accessToken, 'access-1')
	assert.equal(typeof testing.mockTokenEndpoint, 'function')
	const fakeApi = axiosAdapter.withTokens(axios.create({ baseURL: API_URL }), fake)
	assert.deepEqual((await fakeApi.get('/public')).data, { path: '/public', authorization: 'Bearer static-token' })
	assert.equal(typeof redis.redisStore, 'function')
	assert.ok(new redis.RedisStoreError('smoke', 'offline') instanceof core.TokenWardenError, 'one copy of @tokenwarden/core is installed')

	assert.ok(
		warnings.some((warning) => warning.includes('http')),
		'the plain-http token URL was logged as a warning',
	)
}

function environment(): Record<'TOKEN_URL' | 'API_URL' | 'FOREIGN_URL' | 'CLIENT_ID' | 'CLIENT_SECRET', string> {
	const names = ['TOKEN_URL', 'API_URL', 'FOREIGN_URL', 'CLIENT_ID', 'CLIENT_SECRET'] as const
	return Object.fromEntries(
		names.map((name) => {
			const value = process.env[name]
			if (value === undefined) throw new Error(`smoke consumer: ${name} is not set`)
			return [name, value]
		}),
	) as Record<(typeof names)[number], string>
}

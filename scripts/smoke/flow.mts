// The smoke test's consumer flow, run in a fresh project where the packed tarballs were installed with npm.
// It receives the packages as arguments so that consumer.mts can load them with `import` and
// consumer.cts with `require`: this file itself imports only types.
import assert from 'node:assert/strict'
import type * as Core from '@tokenwarden/core'
import type * as Adapter from '@tokenwarden/core/adapter'
import type * as Providers from '@tokenwarden/core/providers'
import type * as Testing from '@tokenwarden/testing'
import type * as AxiosAdapter from '@tokenwarden/axios'
import type * as KyAdapter from '@tokenwarden/ky'
import type * as RedisAdapter from '@tokenwarden/redis'
import type { AxiosStatic } from 'axios'
import type { KyInstance } from 'ky'

/** Every entry point of the four packages, and the two HTTP clients. */
export interface Modules {
	core: typeof Core
	adapter: typeof Adapter
	providers: typeof Providers
	testing: typeof Testing
	axiosAdapter: typeof AxiosAdapter
	kyAdapter: typeof KyAdapter
	redis: typeof RedisAdapter
	axios: AxiosStatic
	ky: KyInstance
}

/** Runs the flow against the smoke servers named in the environment; throws on the first broken expectation. */
export async function exercise(modules: Modules): Promise<void> {
	const { core, adapter, providers, testing, axiosAdapter, kyAdapter, redis, axios, ky } = modules
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

	// Types from the packed .d.ts (checked by tsc in the smoke project): the axios module augmentation is there.
	// @ts-expect-error: `true` is not a tokenwarden request option
	const mistyped = () => api.get('/resource', { tokenwarden: true })
	assert.equal(typeof mistyped, 'function')

	// ky: the same manager, so the same token; a per-request context turns the token off.
	const kyApi = kyAdapter.withTokens(ky.create({ baseUrl: API_URL }), tokens)
	assert.deepEqual(await kyApi.get('resource').json(), { path: '/resource', token: second })
	const context = { tokenwarden: false } satisfies KyAdapter.TokenwardenContext
	assert.deepEqual(await kyApi.get('public', { context }).json(), { path: '/public', authorization: null })
	assert.deepEqual(await kyApi.get(`${FOREIGN_URL}/elsewhere`).json(), { path: '/elsewhere', authorization: null })
	const third = (await kyApi.get('revoke-once/ky').json<{ token: string }>()).token
	assert.ok(third !== second && third !== first.accessToken, 'after the 401 the retry carried a new token')

	// Errors are instances of the classes the package exports.
	const refused = core.createTokenManager({ ...providers.juno({ environment: 'sandbox', clientId: CLIENT_ID, clientSecret: 'not-the-secret', tokenUrl: TOKEN_URL }), logger })
	await assert.rejects(refused.getToken(), (error: unknown) => {
		assert.ok(error instanceof core.OAuthError && error instanceof core.TokenWardenError)
		assert.equal(error.error, 'invalid_client')
		assert.ok(!JSON.stringify(error).includes('not-the-secret') && !String(error.stack).includes('not-the-secret'))
		return true
	})

	// The testing subpath (needs the optional peer nock) and the redis package load, over the one copy of core.
	const fake = testing.staticTokenManager('static-token')
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

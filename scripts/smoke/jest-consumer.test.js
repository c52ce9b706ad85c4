// The smoke test's Jest trial: a CommonJS project testing with Jest, as NestJS projects do. Jest's module
// loader cannot require() an ES module (without --experimental-vm-modules), so this passes only because
// every `require` entry point is a CommonJS build with the ESM-only dependencies (p-queue, jose) bundled in.
// Plain JavaScript, no transform: what Jest runs is what the tarballs ship.
'use strict'
const axios = require('axios')
const core = require('@tokenwarden/core')
const adapter = require('@tokenwarden/core/adapter')
const providers = require('@tokenwarden/core/providers')
const axiosAdapter = require('@tokenwarden/axios')
const fetchAdapter = require('@tokenwarden/fetch')
// @tokenwarden/ky loads (it imports only types from ky), but ky itself is ESM-only (1.x and 2.x): a
// CommonJS Jest project cannot create a ky instance, so ky's flow is left to the other setups.
const kyAdapter = require('@tokenwarden/ky')
const redis = require('@tokenwarden/redis')
const testing = require('@tokenwarden/testing')

const { TOKEN_URL, API_URL, CLIENT_ID, CLIENT_SECRET } = process.env
const logger = { debug() {}, info() {}, warn() {}, error() {} }
const juno = (clientSecret) => ({ ...providers.juno({ environment: 'sandbox', clientId: CLIENT_ID, clientSecret, tokenUrl: TOKEN_URL }), logger })

test('every entry point loads with require()', () => {
	expect(typeof core.createTokenManager).toBe('function')
	expect(typeof adapter.createTokenPolicy).toBe('function')
	expect(typeof providers.juno).toBe('function')
	expect(typeof axiosAdapter.withTokens).toBe('function')
	expect(typeof fetchAdapter.withTokens).toBe('function')
	expect(typeof kyAdapter.withTokens).toBe('function')
	expect(typeof redis.redisStore).toBe('function')
	expect(typeof testing.staticTokenManager).toBe('function')
})

test('a token from the token endpoint goes out through the axios adapter', async () => {
	const tokens = core.createTokenManager(juno(CLIENT_SECRET))
	const api = axiosAdapter.withTokens(axios.create({ baseURL: API_URL }), tokens)
	const { data } = await api.get('/resource')
	expect(data).toEqual({ path: '/resource', token: expect.stringMatching(/^smoke-access-\d+$/) })
	expect((await tokens.getToken()).accessToken).toBe(data.token)
})

test('the fetch adapter with a static token manager from @tokenwarden/testing', async () => {
	const api = fetchAdapter.withTokens(fetch, testing.staticTokenManager('static-token'), { baseUrl: API_URL })
	expect(await (await api('/public')).json()).toEqual({ path: '/public', authorization: 'Bearer static-token' })
})

test('errors are instances of the exported classes, across the packages and entry points', async () => {
	const error = await core
		.createTokenManager(juno('not-the-secret'))
		.getToken()
		.catch((failure) => failure)
	expect(error).toBeInstanceOf(core.OAuthError)
	expect(error).toBeInstanceOf(core.TokenWardenError)
	expect(error).not.toBeInstanceOf(core.TokenEndpointError)
	expect(error.error).toBe('invalid_client')
	expect(new redis.RedisStoreError('smoke', 'offline')).toBeInstanceOf(core.TokenWardenError)
	expect(new adapter.TokenWaitTimeoutError(100)).toBeInstanceOf(core.TokenWardenError)
})

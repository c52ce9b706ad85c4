// The adapter scenarios of the compatibility matrix (run-matrix.sh): run with Node >= 22.12 inside a
// temporary npm project where the packed @tokenwarden tarballs and one exact axios or ky release are
// installed. Real local servers (no nock): a token endpoint, an API, another origin. Exits non-zero on
// the first failed check, naming it. Usage: node scenarios.mts axios|ky
import assert from 'node:assert/strict'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { inspect } from 'node:util'
import { createTokenManager } from '@tokenwarden/core'

const client = process.argv[2]
if (client !== 'axios' && client !== 'ky') throw new Error('usage: node scenarios.mts axios|ky')

/** A server on 127.0.0.1: `handle` answers; `seen` records path and Authorization of each request. */
async function serve(handle: (request: IncomingMessage, response: ServerResponse) => void | Promise<void>) {
	const seen: { path: string; authorization: string | undefined }[] = []
	const server = createServer((request, response) => {
		seen.push({ path: request.url ?? '/', authorization: request.headers.authorization })
		void handle(request, response)
	})
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
	return { origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen, server }
}

// Token endpoint: access tokens t-1, t-2, ...; `gate` holds its answers back while set.
let issued = 0
let gate: Promise<void> | undefined
const auth = await serve(async (_request, response) => {
	if (gate !== undefined) await gate
	issued++
	response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ access_token: `t-${issued}`, token_type: 'Bearer', expires_in: 3600 }))
})
const other = await serve((_request, response) => {
	response.writeHead(401, { 'content-type': 'application/json' }).end('{}')
})
// The API accepts tokens numbered `minimum` or later; /scope answers insufficient_scope; /away redirects elsewhere.
let minimum = 1
const api = await serve((request, response) => {
	const number = Number(/^Bearer t-(\d+)$/.exec(request.headers.authorization ?? '')?.[1] ?? 0)
	if (request.url === '/away') return void response.writeHead(302, { location: `${other.origin}/login` }).end()
	if (request.url === '/scope') return void response.writeHead(401, { 'www-authenticate': 'Bearer error="insufficient_scope"' }).end('{}')
	if (request.url === '/open') return void response.writeHead(200, { 'content-type': 'application/json' }).end('{}')
	response.writeHead(number >= minimum ? 200 : 401, { 'content-type': 'application/json' }).end('{"ok":true}')
})

const tokens = createTokenManager({ tokenUrl: `${auth.origin}/token`, clientId: 'matrix', clientSecret: 'matrix-secret', retry: false })
const authorizations = (path: string) => api.seen.filter((entry) => entry.path === path).map((entry) => entry.authorization)

/** The client under test, reduced to what the checks need. */
interface Driver {
	version: string
	get(path: string, options?: { optOut?: boolean; timeout?: number; absolute?: string; scope?: string }): Promise<{ status: number; response: unknown }>
	isTimeout(error: unknown): boolean
}

async function axiosDriver(): Promise<Driver> {
	const { default: axios } = await import('axios')
	const { withTokens } = await import('@tokenwarden/axios')
	const instance = withTokens(axios.create({ baseURL: api.origin, validateStatus: () => true }), tokens)
	return {
		version: axios.VERSION,
		async get(path, { optOut, timeout, absolute, scope } = {}) {
			const tokenwarden = optOut ? false : scope === undefined ? undefined : { scope }
			const response = await instance.get(absolute ?? path, { ...(tokenwarden === undefined ? {} : { tokenwarden }), ...(timeout ? { timeout } : {}) })
			return { status: response.status, response }
		},
		isTimeout: (error) => (error as { code?: string }).code === 'ECONNABORTED' && axios.isAxiosError(error),
	}
}

async function kyDriver(): Promise<Driver> {
	const { default: ky } = await import('ky')
	const { withTokens } = await import('@tokenwarden/ky')
	const { readFileSync } = await import('node:fs')
	const version = (JSON.parse(readFileSync(new URL('./node_modules/ky/package.json', import.meta.url), 'utf8')) as { version: string }).version
	// ky 1 takes prefixUrl (and puts it before every string input), ky 2 baseUrl.
	const one = version.startsWith('1.')
	const instance = withTokens(ky.create({ ...(one ? { prefixUrl: api.origin } : { baseUrl: api.origin }), throwHttpErrors: false, retry: 0 } as never), tokens)
	return {
		version,
		async get(path, { optOut, timeout, absolute, scope } = {}) {
			const input = absolute === undefined ? path.slice(1) : new URL(absolute)
			const tokenwarden = optOut ? false : scope === undefined ? undefined : { scope }
			const response = await instance.get(input, { ...(tokenwarden === undefined ? {} : { context: { tokenwarden } }), ...(timeout ? { timeout } : {}) })
			return { status: response.status, response }
		},
		isTimeout: (error) => (error as { name?: string }).name === 'TimeoutError',
	}
}

const driver = client === 'axios' ? await axiosDriver() : await kyDriver()
const checks: [string, () => Promise<void>][] = [
	[
		'requests to the base origin carry the token; one token request for several',
		async () => {
			assert.equal((await driver.get('/cob')).status, 200)
			assert.equal((await driver.get('/cob')).status, 200)
			assert.deepEqual(authorizations('/cob'), ['Bearer t-1', 'Bearer t-1'])
			assert.equal(issued, 1)
		},
	],
	[
		'another origin gets no token; an opted-out request neither',
		async () => {
			await driver.get('/login', { absolute: `${other.origin}/login` })
			assert.deepEqual(
				other.seen.map((entry) => entry.authorization),
				[undefined],
			)
			await driver.get('/open', { optOut: true })
			assert.deepEqual(authorizations('/open'), [undefined])
		},
	],
	[
		'a rejected token is dropped and the request retried once with a fresh one',
		async () => {
			minimum = 2
			assert.equal((await driver.get('/cob')).status, 200)
			assert.deepEqual(authorizations('/cob').slice(-2), ['Bearer t-1', 'Bearer t-2'])
			assert.equal(issued, 2)
		},
	],
	[
		'insufficient_scope reaches the caller: no new token, no retry',
		async () => {
			assert.equal((await driver.get('/scope')).status, 401)
			assert.deepEqual(authorizations('/scope'), ['Bearer t-2'])
			assert.equal(issued, 2)
		},
	],
	[
		'a 401 from another origin after a redirect is not a stale token',
		async () => {
			assert.equal((await driver.get('/away')).status, 401)
			assert.equal(other.seen.at(-1)?.authorization, undefined)
			assert.equal(issued, 2)
		},
	],
	[
		"the client's timeout bounds the wait for a token, with the client's own timeout error; the token request goes on",
		async () => {
			let release: () => void = () => {}
			gate = new Promise<void>((resolve) => {
				release = resolve
			})
			// Another scope: a token request of its own, held back by the gate, with a patient caller waiting too.
			const patient = driver.get('/cob', { scope: 'slow' })
			const error = await driver.get('/cob', { timeout: 50, scope: 'slow' }).then(
				() => undefined,
				(caught: unknown) => caught,
			)
			assert.ok(driver.isTimeout(error), `expected the client's timeout error, got ${inspect(error)}`)
			gate = undefined
			release()
			assert.equal((await patient).status, 200)
			assert.equal(issued, 3)
		},
	],
	[
		'a response logged with util.inspect does not show the token',
		async () => {
			const { response } = await driver.get('/cob')
			assert.ok(!inspect(response, { depth: 6 }).includes('Bearer t-'))
		},
	],
]

let failed = false
for (const [name, check] of checks) {
	try {
		await check()
		console.log(`  ok   ${client} ${driver.version}: ${name}`)
	} catch (error) {
		failed = true
		console.log(`  FAIL ${client} ${driver.version}: ${name}\n${inspect(error)}`)
		break
	}
}
for (const { server } of [auth, other, api]) server.close()
process.exit(failed ? 1 : 0)

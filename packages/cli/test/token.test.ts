import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { expectFits80, expectNoSecrets, RUNNERS } from './run-cli.ts'
import { CLIENT_ID, CLIENT_SECRET, type Running, startApi, startTokenEndpoint, type TokenEndpoint } from './servers.ts'

const ENV = { TOKENWARDEN_CLIENT_ID: CLIENT_ID, TOKENWARDEN_CLIENT_SECRET: CLIENT_SECRET }

let jwtEndpoint: TokenEndpoint
let opaqueEndpoint: TokenEndpoint
let api: Running
let dir: string

beforeAll(async () => {
	jwtEndpoint = await startTokenEndpoint({ tokenFormat: { alg: 'none', audience: 'https://api.example.com' }, expiresIn: 900, scopes: ['cob.read', 'cob.write', 'pix.read'] })
	opaqueEndpoint = await startTokenEndpoint({ expiresIn: 600, echoScope: false })
	api = await startApi(() => [...jwtEndpoint.server.issued, ...opaqueEndpoint.server.issued])
	dir = mkdtempSync(join(tmpdir(), 'tokenwarden-cli-'))
})
afterAll(async () => {
	await Promise.all([jwtEndpoint.close(), opaqueEndpoint.close(), api.close()])
	rmSync(dir, { recursive: true, force: true })
})
afterEach(() => {
	jwtEndpoint.date = undefined
})

/** Every secret a run could leak: the client secret, and every access and refresh token issued so far. */
function everySecret(): string[] {
	const tokens = [...jwtEndpoint.server.issued, ...opaqueEndpoint.server.issued].flatMap((item) => [item.accessToken, item.refreshToken ?? ''])
	return [CLIENT_SECRET, ...tokens.filter(Boolean)]
}

describe.each(RUNNERS)('token (%s)', (_, cli) => {
	it('shows a JWT: type, expiry from exp, clock, scope granted as requested, claims marked unverified; never the token', async () => {
		const result = await cli(['token', '--token-url', jwtEndpoint.tokenUrl, '--scope', 'cob.read pix.read'], { env: ENV })
		expect(result.code).toBe(0)
		expect(result.stderr).toBe('')
		const out = result.stdout
		expect(out).toContain('Bearer, a JWT (decoded below, unverified)')
		expect(out).toMatch(/expires\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\d [+-]\d\d:\d\d, in 1\d min/)
		expect(out).toContain("expiry from   the JWT's exp claim")
		// node:http sends a Date header of whole seconds, cached for up to a second: under load that reads as a second or two of skew.
		expect(out.replace(/\s+/g, ' ')).toMatch(/clock (in step with the server \(within 1 s\)|this machine is \d s ahead of the server; expiry corrected) \(Date header\)/)
		expect(out).toContain('granted as requested: cob.read pix.read')
		expect(out).toContain('client_secret_basic')
		expect(out).toContain('JWT payload (unverified: decoded, signature not checked)')
		expect(out).toContain('aud: "https://api.example.com"')
		expect(out).toMatch(/\[hidden: \d+ chars\]; --show-token prints it/)
		expectFits80(out)
		expectNoSecrets(result, everySecret())
	})

	it('--json: tokenType, expiresAt (ISO), expiresIn, expirySource, clock, scope and the decoded JWT', async () => {
		const result = await cli(['token', '--token-url', jwtEndpoint.tokenUrl, '--scope', 'cob.read', '--json'], { env: ENV })
		expect(result.code).toBe(0)
		const json = JSON.parse(result.stdout)
		const issued = jwtEndpoint.server.issued.at(-1)!
		expect(json).toMatchObject({
			ok: true,
			command: 'token',
			tokenType: 'Bearer',
			format: 'jwt',
			expirySource: 'exp',
			clockSkewSource: 'date',
			scope: { granted: ['cob.read'], requested: ['cob.read'], missing: [], extra: [] },
			clientAuth: 'client_secret_basic',
			tokenUrl: jwtEndpoint.tokenUrl,
			probes: [],
		})
		expect(json.clockSkewMs).toBeGreaterThanOrEqual(0)
		expect(json.clockSkewMs).toBeLessThan(3000)
		// exp moved by the clock difference measured from the server's whole-second Date header (API.md: expiry corrected for it)
		expect(json.expiresAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/)
		expect(Date.parse(json.expiresAt) - issued.expiresAt).toBeGreaterThanOrEqual(0)
		expect(Date.parse(json.expiresAt) - issued.expiresAt).toBeLessThan(3000)
		expect(json.expiresIn).toBeGreaterThan(880)
		expect(json.expiresIn).toBeLessThanOrEqual(900)
		expect(json.jwt).toMatchObject({ verified: false, header: { alg: 'none' }, payload: { aud: 'https://api.example.com', scope: 'cob.read' } })
		expect(json.accessToken).toBe(`[hidden: ${issued.accessToken.length} chars]`)
		expectNoSecrets(result, everySecret())
	})

	it('--show-token prints the access token, and still never the client secret', async () => {
		const result = await cli(['token', '--token-url', opaqueEndpoint.tokenUrl, '--show-token', '--json'], { env: ENV })
		expect(result.code).toBe(0)
		const json = JSON.parse(result.stdout)
		expect(json.accessToken).toBe(opaqueEndpoint.server.issued.at(-1)!.accessToken)
		const human = await cli(['token', '--token-url', opaqueEndpoint.tokenUrl, '--show-token'], { env: ENV })
		expect(human.stdout).toContain(`access token  ${opaqueEndpoint.server.issued.at(-1)!.accessToken}`)
		expectNoSecrets(human, [CLIENT_SECRET])
	})

	it('an opaque token: expiry from expires_in, scope not echoed reads as granted as requested (RFC 6749 §5.1)', async () => {
		const result = await cli(['token', '--token-url', opaqueEndpoint.tokenUrl, '--scope', 'a b', '--json'], { env: ENV })
		const json = JSON.parse(result.stdout)
		expect(json).toMatchObject({ format: 'opaque', expirySource: 'expires_in', jwt: null, scope: { granted: ['a', 'b'], requested: ['a', 'b'] } })
		const human = await cli(['token', '--token-url', opaqueEndpoint.tokenUrl], { env: ENV })
		expect(human.stdout).toContain('expires_in in the token response')
		expect(human.stdout).toContain('Bearer, opaque')
		expect(human.stdout).toContain("none requested: the server's default")
	})

	it('a server granting less than asked: the missing scope is named', async () => {
		const endpoint = await startTokenEndpoint({ responseFields: { scope: 'cob.read' } })
		try {
			const result = await cli(['token', '--token-url', endpoint.tokenUrl, '--scope', 'cob.read cob.write', '--json'], { env: ENV })
			expect(JSON.parse(result.stdout).scope).toEqual({ granted: ['cob.read'], requested: ['cob.read', 'cob.write'], missing: ['cob.write'], extra: [] })
			const human = await cli(['token', '--token-url', endpoint.tokenUrl, '--scope', 'cob.read cob.write'], { env: ENV })
			expect(human.stdout).toMatch(/scope\s+granted: cob\.read\n\s+requested: cob\.read cob\.write\n\s+not granted: cob\.write/)
		} finally {
			await endpoint.close()
		}
	})

	it('the default lifetime when the server says nothing about expiry', async () => {
		const endpoint = await startTokenEndpoint({ responseFields: { expires_in: undefined } })
		try {
			const result = await cli(['token', '--token-url', endpoint.tokenUrl, '--json'], { env: ENV })
			expect(JSON.parse(result.stdout)).toMatchObject({ expirySource: 'default', expiresIn: expect.any(Number) })
			expect(JSON.parse(result.stdout).expiresIn).toBeLessThanOrEqual(300)
		} finally {
			await endpoint.close()
		}
	})

	it('a server clock two minutes behind: the difference from its Date header, expiry corrected', async () => {
		jwtEndpoint.date = () => new Date(Date.now() - 120_000).toUTCString()
		const result = await cli(['token', '--token-url', jwtEndpoint.tokenUrl, '--json'], { env: ENV })
		const json = JSON.parse(result.stdout)
		expect(json.clockSkewSource).toBe('date')
		expect(json.clockSkewMs).toBeGreaterThan(118_000)
		expect(json.clockSkewMs).toBeLessThan(122_000)
		jwtEndpoint.date = () => new Date(Date.now() - 120_000).toUTCString()
		const human = await cli(['token', '--token-url', jwtEndpoint.tokenUrl], { env: ENV })
		expect(human.stdout.replace(/\s+/g, ' ')).toMatch(/clock this machine is (1 min 5\d s|2 min( \d+ s)?) ahead of the server; expiry corrected \(Date header\)/)
	})

	it('the secret from --client-secret-file, the id from --client-id', async () => {
		const file = join(dir, 'secret.txt')
		writeFileSync(file, `${CLIENT_SECRET}\n`)
		const result = await cli(['token', '--token-url', opaqueEndpoint.tokenUrl, '--client-id', CLIENT_ID, '--client-secret-file', file, '--client-auth', 'client_secret_post'])
		expect(result.code).toBe(0)
		expect(opaqueEndpoint.server.requests.at(-1)).toMatchObject({ clientId: CLIENT_ID, clientAuth: 'client_secret_post' })
		expectNoSecrets(result, everySecret())
	})

	it('a wrong secret: invalid_client in one line, the hint names the method; exit 1, no secret anywhere', async () => {
		const wrong = 'wrong-secret-Hh3k'
		const result = await cli(['token', '--preset', 'juno', '--environment', 'sandbox', '--token-url', opaqueEndpoint.tokenUrl], {
			env: { ...ENV, TOKENWARDEN_CLIENT_SECRET: wrong },
		})
		expect(result.code).toBe(1)
		expect(result.stdout).toBe('')
		expect(result.stderr).toMatch(/^error: Token endpoint returned invalid_client \(HTTP 401\)[\s\S]*\[OAUTH_ERROR\]\nhint:/)
		expect(result.stderr.replace(/\s+/g, ' ')).toContain(
			'hint: check client id/secret and the client authentication method the provider expects: client_secret_basic (raw id:secret)',
		)
		expectFits80(result.stderr)
		expectNoSecrets(result, [wrong, ...everySecret()])
		const json = await cli(['token', '--token-url', opaqueEndpoint.tokenUrl, '--client-auth', 'client_secret_post', '--json'], {
			env: { ...ENV, TOKENWARDEN_CLIENT_SECRET: wrong },
		})
		expect(json.code).toBe(1)
		expect(JSON.parse(json.stdout)).toMatchObject({
			ok: false,
			exitCode: 1,
			error: { code: 'OAUTH_ERROR', error: 'invalid_client', status: 401, hint: expect.stringContaining('expects: client_secret_post') },
		})
		expectNoSecrets(json, [wrong, ...everySecret()])
	})

	it('a failing endpoint after retries: exit 1 and a hint; --verbose shows the retry events', async () => {
		opaqueEndpoint.server.failNext({ status: 503 }, { times: 3 })
		const result = await cli(['token', '--token-url', opaqueEndpoint.tokenUrl, '--verbose'], { env: ENV })
		expect(result.code).toBe(1)
		expect(result.stderr).toMatch(/event retry: attempt=1 delay=\d+ms status=503 reason=status/)
		expect(result.stderr).toMatch(/event retry: attempt=2/)
		expect(result.stderr).toContain('[TOKEN_ENDPOINT_ERROR]')
		expect(result.stderr).toContain('hint: the provider is failing')
		expectNoSecrets(result, everySecret())
	})

	it('--verbose reports the token event on stderr and keeps stdout for the result', async () => {
		const result = await cli(['token', '--token-url', jwtEndpoint.tokenUrl, '--verbose', '--json'], { env: ENV })
		expect(result.code, result.stderr).toBe(0)
		expect(result.stderr).toMatch(/event token: grantType=client_credentials expiresAt=\S+ expirySource=jwt-exp clockSkew=\d+ms/)
		expect(JSON.parse(result.stdout).ok).toBe(true)
		expectNoSecrets(result, everySecret())
	})

	it('an HTML page instead of a token endpoint: the reason and where to look', async () => {
		opaqueEndpoint.server.failNext('html')
		const result = await cli(['token', '--token-url', opaqueEndpoint.tokenUrl], { env: ENV })
		expect(result.code).toBe(1)
		expect(result.stderr).toContain('[INVALID_TOKEN_RESPONSE]')
		expect(result.stderr).toContain('check --token-url')
	})

	it('nothing listening: a network failure, exit 1', async () => {
		const result = await cli(['token', '--token-url', 'http://127.0.0.1:9/oauth/token', '--timeout', '2000'], { env: ENV })
		expect(result.code).toBe(1)
		expect(result.stderr).toContain('hint: the token endpoint could not be reached')
	})
})

describe.each(RUNNERS)('token --probe (%s)', (_, cli) => {
	it('a 2xx probe: status and time; exit 0', async () => {
		const result = await cli(['token', '--token-url', jwtEndpoint.tokenUrl, '--probe', `${api.url}/ok`], { env: ENV })
		expect(result.code).toBe(0)
		expect(result.stdout).toMatch(new RegExp(`probe GET ${api.url}/ok\\nstatus\\s+HTTP 200 ok\\ntime\\s+\\d+ ms`))
		expectNoSecrets(result, everySecret())
	})

	it('401 and 403 challenges, decoded and explained; exit 3; a body quoting the token does not leak it', async () => {
		const probes = ['/ok', '/scope', '/expired', '/audience', '/echo', '/basic', '/bare'].flatMap((path) => ['--probe', `${api.url}${path}`])
		const result = await cli(['token', '--token-url', jwtEndpoint.tokenUrl, '--scope', 'cob.read', ...probes, '--json'], { env: ENV })
		expect(result.code).toBe(3)
		const json = JSON.parse(result.stdout)
		expect(json.ok).toBe(false)
		const byPath = Object.fromEntries(json.probes.map((probe: { url: string }) => [new URL(probe.url).pathname, probe]))
		expect(byPath['/ok']).toMatchObject({ ok: true, status: 200, timeMs: expect.any(Number) })
		expect(byPath['/scope']).toMatchObject({
			ok: false,
			status: 403,
			cause: 'insufficient_scope',
			challenges: [{ scheme: 'Bearer', params: { realm: 'api', error: 'insufficient_scope', scope: 'cob.write' } }],
		})
		expect(byPath['/scope'].explanation).toContain('(it asks for "cob.write"); the token has "cob.read"')
		expect(byPath['/expired']).toMatchObject({ status: 401, cause: 'stale_token' })
		expect(byPath['/audience']).toMatchObject({ status: 401, cause: 'wrong_audience' })
		expect(byPath['/audience'].explanation).toContain("The token's aud is https://api.example.com.")
		expect(byPath['/echo']).toMatchObject({ status: 401, cause: 'no_reason' })
		expect(byPath['/echo'].body).toContain('[hidden]')
		expect(byPath['/basic']).toMatchObject({ cause: 'other_scheme', explanation: 'the API asks for Basic authentication, not Bearer.' })
		expect(byPath['/bare']).toMatchObject({ cause: 'no_challenge', challenges: [] })
		expectNoSecrets(result, everySecret())

		const human = await cli(['token', '--token-url', jwtEndpoint.tokenUrl, '--scope', 'cob.read', ...probes], { env: ENV })
		expect(human.code).toBe(3)
		expect(human.stdout).toContain('challenge     Bearer realm="api" error="insufficient_scope" scope="cob.write"')
		expect(human.stdout).toMatch(/meaning\s+insufficient_scope: the token lacks a scope/)
		expect(human.stdout).toMatch(/meaning\s+stale token: the API says it has expired/)
		expect(human.stdout).toMatch(/meaning\s+wrong audience/)
		expectFits80(human.stdout)
		expectNoSecrets(human, everySecret())
	})

	it('a probe URL that is not one: usage error before any token request', async () => {
		const before = jwtEndpoint.server.requests.length
		const result = await cli(['token', '--token-url', jwtEndpoint.tokenUrl, '--probe', 'not a url'], { env: ENV })
		expect(result.code).toBe(2)
		expect(result.stderr).toContain('--probe needs an absolute URL')
		expect(jwtEndpoint.server.requests.length).toBe(before)
	})

	it('a probe nobody answers: exit 3, no response', async () => {
		const result = await cli(['token', '--token-url', jwtEndpoint.tokenUrl, '--probe', 'http://127.0.0.1:9/x', '--json'], { env: ENV })
		expect(result.code).toBe(3)
		expect(JSON.parse(result.stdout).probes[0]).toMatchObject({ ok: false, cause: 'network' })
	})
})

describe.each(RUNNERS)('presets (%s)', (_, cli) => {
	it.each([
		['juno', [], 'client_secret_basic (raw id:secret)', 'client_secret_basic'],
		['bankly', ['--scope', 'cob.read'], 'client_secret_post', 'client_secret_post'],
		['bs2', ['--scope', 'cob.read'], 'client_secret_basic (raw id:secret)', 'client_secret_basic'],
	])('%s: the preset decides the client authentication', async (preset, extra, shown, seen) => {
		const result = await cli(['token', '--preset', preset, '--environment', 'sandbox', '--token-url', opaqueEndpoint.tokenUrl, ...extra, '--json'], { env: ENV })
		expect(result.code).toBe(0)
		expect(JSON.parse(result.stdout)).toMatchObject({ preset, environment: 'sandbox', clientAuth: shown })
		expect(opaqueEndpoint.server.requests.at(-1)?.clientAuth).toBe(seen)
		expectNoSecrets(result, everySecret())
	})

	it('a preset missing what the provider requires: usage error naming it, exit 2', async () => {
		const result = await cli(['token', '--preset', 'bankly', '--environment', 'sandbox'], { env: ENV })
		expect(result.code).toBe(2)
		expect(result.stderr).toContain('bankly needs scope')
		expect(result.stderr).toContain('hint: pass --scope')
		const production = await cli(['token', '--preset', 'bs2', '--environment', 'production', '--scope', 'x'], { env: ENV })
		expect(production.code).toBe(2)
		expect(production.stderr).toContain('hint: pass --token-url')
	})

	it('an unknown preset lists the presets the core exports', async () => {
		const result = await cli(['token', '--preset', 'nubank', '--environment', 'sandbox'], { env: ENV })
		expect(result.code).toBe(2)
		expect(result.stderr).toMatch(/hint: presets: juno, bankly, bs2, bs2Banking/)
	})
})

describe.each(RUNNERS)('usage (%s)', (_, cli) => {
	it.each([
		[['token', '--client-secret', CLIENT_SECRET], '--client-secret is not accepted'],
		[['token', `--client-secret=${CLIENT_SECRET}`], '--client-secret is not accepted'],
		[['token', '--token-url', 'http://127.0.0.1:9/t', CLIENT_SECRET], 'token takes no positional arguments'],
		[['token', '--bogus'], 'unknown option --bogus for token'],
		[['token', '--scope'], 'option --scope needs a value'],
		[['token', '--json=yes'], 'option --json takes no value'],
		[['frobnicate'], 'unknown command "frobnicate"'],
		[[], 'no command given'],
		[['token'], 'no client id'],
		[['token', '--environment', 'sandbox'], '--environment is only used with --preset'],
		[['token', '--preset', 'juno'], '--environment is required with --preset'],
		[['token', '--token-url', 'http://127.0.0.1:9/t', '--client-auth', 'magic'], '--client-auth must be one of'],
		[['token', '--token-url', 'http://127.0.0.1:9/t', '--cert', '/nonexistent/cert.pem', '--key', '/nonexistent/key.pem'], 'cannot read the --cert file (ENOENT)'],
	])('%j: exit 2 with %s, never echoing a value', async (args, message) => {
		const env: Record<string, string> = args[0] !== 'token' || message === 'no client id' ? {} : { TOKENWARDEN_CLIENT_ID: CLIENT_ID }
		const result = await cli(args as string[], { env })
		expect(result.code).toBe(2)
		expect(result.stdout).toBe('')
		expect(result.stderr).toContain(message)
		expectNoSecrets(result, [CLIENT_SECRET])
	})

	it('--help for the program and each command fits 80 columns and names the exit codes', async () => {
		for (const args of [['--help'], ['token', '--help'], ['inspect', '-h'], ['authorize', '--help'], ['exchange', '--help']]) {
			const result = await cli(args)
			expect(result.code).toBe(0)
			expect(result.stdout).toContain('Exit codes: 0 ok, 1 token failure, 2 usage, 3 probe failed.')
			expectFits80(result.stdout)
			for (const line of result.stdout.split('\n')) expect(line.length).toBeLessThanOrEqual(80)
		}
	})

	it('usage errors with --json: the same error as an object on stdout', async () => {
		const result = await cli(['token', '--json'])
		expect(result.code).toBe(2)
		expect(JSON.parse(result.stdout)).toMatchObject({ ok: false, exitCode: 2, error: { code: 'USAGE', message: 'no client id' } })
	})
})

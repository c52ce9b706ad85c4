import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { expectFits80, expectNoSecrets, RUNNERS } from './run-cli.ts'
import { CLIENT_ID, CLIENT_SECRET, startApi, startTokenEndpoint, type Running, type TokenEndpoint } from './servers.ts'

const ENV = { TOKENWARDEN_CLIENT_ID: CLIENT_ID, TOKENWARDEN_CLIENT_SECRET: CLIENT_SECRET }
const REDIRECT = 'https://app.example.com/bs2/callback'

let endpoint: TokenEndpoint
let api: Running

beforeAll(async () => {
	endpoint = await startTokenEndpoint({ refreshExpiresIn: 30 * 86_400, tokenFormat: 'jwt', scopes: ['saldo', 'extrato'] })
	api = await startApi(() => endpoint.server.issued)
})
afterAll(async () => {
	await Promise.all([endpoint.close(), api.close()])
})

function everySecret(): string[] {
	return [CLIENT_SECRET, ...endpoint.server.issued.flatMap((item) => [item.accessToken, item.refreshToken ?? ''])].filter(Boolean)
}

/** The bs2Banking preset pointed at the local token endpoint (its authorization endpoint stays BS2's homologation one). */
const BS2_BANKING = () => ['--preset', 'bs2Banking', '--environment', 'sandbox', '--token-url', endpoint.tokenUrl, '--redirect-uri', REDIRECT, '--scope', 'saldo extrato']

describe.each(RUNNERS)('authorize and exchange (%s)', (_, cli) => {
	it('authorize prints the URL, state and PKCE verifier; exchange, in another process, finishes the consent', async () => {
		const authorized = await cli(['authorize', ...BS2_BANKING(), '--json'], { env: ENV })
		expect(authorized.code).toBe(0)
		const request = JSON.parse(authorized.stdout)
		expect(request).toMatchObject({ ok: true, command: 'authorize', redirectUri: REDIRECT, scope: ['extrato', 'saldo'] })
		const url = new URL(request.url)
		expect(url.origin + url.pathname).toBe('https://apihmz.bancobonsucesso.com.br/api-banking/auth/oauth/v2/authorize')
		expect(url.searchParams.get('state')).toBe(request.state)
		expect(url.searchParams.get('code_challenge_method')).toBe('S256')
		expect(request.codeVerifier).toMatch(/^[\w-]{43}$/)
		expectNoSecrets(authorized, [CLIENT_SECRET])

		// The holder consents at the bank; the bank redirects back with a code.
		const approval = endpoint.server.approve(request.url, { subject: 'holder-1' })
		const exchanged = await cli(['exchange', ...BS2_BANKING(), `--code=${approval.code}`, `--state=${request.state}`, `--verifier=${request.codeVerifier}`, '--json'], { env: ENV })
		expect(exchanged.code).toBe(0)
		const json = JSON.parse(exchanged.stdout)
		const issued = endpoint.server.issued.at(-1)!
		expect(issued.grantType).toBe('authorization_code')
		expect(json).toMatchObject({
			ok: true,
			command: 'exchange',
			subject: 'cli',
			tokenType: 'Bearer',
			expirySource: 'exp',
			accessToken: `[hidden: ${issued.accessToken.length} chars]`,
			refreshToken: `[hidden: ${issued.refreshToken!.length} chars]`,
			consent: { scope: ['extrato', 'saldo'], expiresIn: expect.any(Number) },
		})
		expect(json.consent.expiresIn).toBeGreaterThan(30 * 86_400 - 60)
		expect(Date.parse(json.consent.expiresAt)).toBeGreaterThan(Date.now() + 29 * 86_400_000)
		expectNoSecrets(exchanged, [...everySecret(), approval.code])
	})

	it('human output: the URL on its own line, the exchange command to run next; the holder tokens masked with the consent lapse', async () => {
		const authorized = await cli(['authorize', ...BS2_BANKING()], { env: ENV })
		expect(authorized.code).toBe(0)
		const url = authorized.stdout.split('\n').find((line) => line.startsWith('https://'))!
		const state = /state\s+(\S+)/.exec(authorized.stdout)![1]!
		const verifier = /verifier\s+(\S+)/.exec(authorized.stdout)![1]!
		expect(authorized.stdout).toContain('tokenwarden exchange --preset bs2Banking --environment sandbox')
		expect(authorized.stdout).toContain(`--state=${state}`)
		expectFits80(authorized.stdout.replace(url, ''))
		expectNoSecrets(authorized, [CLIENT_SECRET])

		const approval = endpoint.server.approve(url, { subject: 'holder-2' })
		const callback = `${REDIRECT}?code=${approval.code}&state=${state}`
		const exchanged = await cli(['exchange', ...BS2_BANKING(), '--callback-url', callback, `--state=${state}`, `--verifier=${verifier}`, '--probe', `${api.url}/ok`], { env: ENV })
		expect(exchanged.code).toBe(0)
		expect(exchanged.stdout).toContain('Consent exchanged for subject "cli"')
		expect(exchanged.stdout).toMatch(/refresh token \[hidden: \d+ chars\], never printed/)
		expect(exchanged.stdout).toMatch(/consent\s+lapses .+, in 29 days 23 h|consent\s+lapses .+, in 30 days/)
		expect(exchanged.stdout).toContain('consented     extrato saldo')
		expect(exchanged.stdout).toMatch(/status\s+HTTP 200 ok/)
		expectFits80(exchanged.stdout)
		expectNoSecrets(exchanged, [...everySecret(), approval.code])
	})

	it("values that start with '-' (base64url codes, states, verifiers) pass as --name=value", async () => {
		const result = await cli(['exchange', ...BS2_BANKING(), '--callback-url', `${REDIRECT}?code=c-1&state=-s1`, '--state=-s2', '--json'], { env: ENV })
		expect(result.code).toBe(1)
		expect(JSON.parse(result.stdout)).toMatchObject({ ok: false, error: { code: 'STATE_MISMATCH' } })
	})

	it('a state that does not match: STATE_MISMATCH before any request, exit 1', async () => {
		const before = endpoint.server.requests.length
		const result = await cli(['exchange', ...BS2_BANKING(), '--callback-url', `${REDIRECT}?code=c-1&state=other`, '--state', 'expected'], { env: ENV })
		expect(result.code).toBe(1)
		expect(result.stderr).toContain('[STATE_MISMATCH]')
		expect(result.stderr).toContain('hint: --state must be the state printed by authorize')
		expect(endpoint.server.requests.length).toBe(before)
	})

	it('a spent or unknown code: invalid_grant with a hint, exit 1, the code not echoed', async () => {
		const code = 'unknown-code-7d8e9f'
		const result = await cli(['exchange', ...BS2_BANKING(), '--code', code, '--state', 's-1', '--json'], { env: ENV })
		expect(result.code).toBe(1)
		expect(JSON.parse(result.stdout).error).toMatchObject({ code: 'OAUTH_ERROR', error: 'invalid_grant', hint: expect.stringContaining('start again with authorize') })
		expectNoSecrets(result, [...everySecret(), code])
	})

	it('the holder refused: the redirect error, exit 1', async () => {
		const result = await cli(['exchange', ...BS2_BANKING(), '--callback-url', `${REDIRECT}?error=access_denied&state=s`, '--state', 's'], { env: ENV })
		expect(result.code).toBe(1)
		expect(result.stderr).toContain('The provider redirected with error access_denied [CONSENT_DENIED]')
	})

	it('authorize without a redirect URI, exchange without a code: usage errors', async () => {
		const noRedirect = await cli(['authorize', '--token-url', endpoint.tokenUrl, '--authorize-url', 'https://auth.example.com/authorize'], { env: ENV })
		expect(noRedirect.code).toBe(2)
		expect(noRedirect.stderr).toContain('--redirect-uri is required')
		const noAuthorize = await cli(['authorize', '--token-url', endpoint.tokenUrl, '--redirect-uri', REDIRECT], { env: ENV })
		expect(noAuthorize.code).toBe(2)
		expect(noAuthorize.stderr).toContain('no authorization endpoint')
		const noCode = await cli(['exchange', ...BS2_BANKING(), '--state', 's'], { env: ENV })
		expect(noCode.code).toBe(2)
		expect(noCode.stderr).toContain('--code is required')
	})
})

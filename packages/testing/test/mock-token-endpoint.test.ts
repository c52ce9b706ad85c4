import { generateKeyPairSync } from 'node:crypto'
import { inspect } from 'node:util'
import { decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose'
import nock from 'nock'
import { describe, expect, it, vi } from 'vitest'
import { ConsentRequiredError, createTokenManager, OAuthError, type TokenManagerOptions } from '@tokenwarden/core'
import { juno } from '@tokenwarden/core/providers'
import { createTokenServer, mockTokenEndpoint } from '@tokenwarden/testing'
import { setup, useFakeTime, useNock } from './helpers.ts'

useNock()

const TOKEN_URL = 'https://auth.example.com/oauth/token'
const AUTHORIZE_URL = 'https://auth.example.com/oauth/authorize'
const REVOCATION_URL = 'https://auth.example.com/oauth/revoke'
const REDIRECT_URI = 'https://app.example.com/callback'
const CLIENT_ID = 'client-1'
/** Has characters that form-urlencoding changes (RFC 6749 §2.3.1). */
const CLIENT_SECRET = 's3cr3t:with+special&chars é'
const T0 = Date.parse('2026-03-01T12:00:00Z')

useFakeTime(T0)

function manager(overrides: Record<string, unknown> = {}) {
	return setup({
		tokenUrl: TOKEN_URL,
		authorizeUrl: AUTHORIZE_URL,
		revocationUrl: REVOCATION_URL,
		redirectUri: REDIRECT_URI,
		clientId: CLIENT_ID,
		clientSecret: CLIENT_SECRET,
		retry: false,
		...overrides,
	})
}

const credentials = { tokenUrl: TOKEN_URL, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET }

/** Consent of one holder through the mock authorization server: authorization URL, approval, code exchange. */
async function consent(tokens: ReturnType<typeof manager>['tokens'], endpoint: ReturnType<typeof mockTokenEndpoint>, subject = 'account-42') {
	const request = await tokens.authorizationUrl({ scope: 'saldo.read extrato.read', pkce: true })
	const { code, state } = endpoint.approve(request.url, { subject })
	return tokens.exchangeCode({ code, state, expectedState: request.state, codeVerifier: request.codeVerifier, subject })
}

describe('client_credentials', () => {
	it('answers like a provider and records each request', async () => {
		const endpoint = mockTokenEndpoint({ ...credentials, expiresIn: 300 })
		const { tokens } = manager({ scope: 'cob.read cob.write' })
		const token = await tokens.getToken()
		expect(token).toMatchObject({ accessToken: 'access-1', tokenType: 'Bearer', expiresAt: T0 + 300_000, scope: ['cob.read', 'cob.write'] })
		await tokens.getToken()
		expect(endpoint.count()).toBe(1)
		expect(endpoint.requests).toEqual([
			{
				grantType: 'client_credentials',
				scope: ['cob.read', 'cob.write'],
				form: { grant_type: 'client_credentials', scope: 'cob.read cob.write' },
				clientId: CLIENT_ID,
				clientAuth: 'client_secret_basic',
				at: T0,
				status: 200,
				error: undefined,
				errorDescription: undefined,
			},
		])
		expect(endpoint.issued).toEqual([
			{
				accessToken: 'access-1',
				refreshToken: undefined,
				grantType: 'client_credentials',
				scope: ['cob.read', 'cob.write'],
				subject: undefined,
				issuedAt: T0,
				expiresAt: T0 + 300_000,
			},
		])
		endpoint.done()
	})

	it('grants defaultScope when none is asked for, and can leave scope out of the response', async () => {
		const endpoint = mockTokenEndpoint({ ...credentials, defaultScope: 'all', echoScope: true })
		expect(await manager().tokens.getToken()).toMatchObject({ scope: ['all'] })
		endpoint.done()
		const quiet = mockTokenEndpoint({ ...credentials, echoScope: false })
		// Without an echo the manager reports the scope it asked for (RFC 6749 §5.1).
		expect(await manager({ scope: 'x' }).tokens.getToken()).toMatchObject({ scope: ['x'] })
		quiet.done()
	})

	it('answers invalid_scope for a scope outside `scopes`', async () => {
		const endpoint = mockTokenEndpoint({ ...credentials, scopes: ['cob.read', 'cob.write'] })
		const { tokens } = manager()
		await expect(tokens.getToken({ scope: 'cob.read pix.write' })).rejects.toMatchObject({ error: 'invalid_scope', status: 400 })
		expect(endpoint.requests[0]).toMatchObject({ status: 400, error: 'invalid_scope', errorDescription: expect.stringContaining('pix.write') })
		expect(await tokens.getToken({ scope: 'cob.read' })).toMatchObject({ scope: ['cob.read'] })
		endpoint.done()
	})

	it('adds provider quirks through responseFields', async () => {
		const endpoint = mockTokenEndpoint({ ...credentials, tokenType: 'bearer', responseFields: ({ grantType }) => ({ expires_in: '120', grant: grantType }) })
		expect(await manager().tokens.getToken()).toMatchObject({ tokenType: 'Bearer', expiresAt: T0 + 120_000 })
		endpoint.done()
	})
})

describe('client authentication', () => {
	it('accepts Basic with form-urlencoded credentials and the secret in the body', async () => {
		const endpoint = mockTokenEndpoint(credentials)
		await manager().tokens.getToken()
		await manager({ clientAuth: 'client_secret_post' }).tokens.getToken()
		expect(endpoint.requests.map((request) => request.clientAuth)).toEqual(['client_secret_basic', 'client_secret_post'])
		// The recorded form never carries the secret.
		expect(endpoint.requests[1]?.form).toMatchObject({ client_id: CLIENT_ID, client_secret: '[redacted]' })
		endpoint.done()
	})

	it('accepts the raw id:secret Basic credentials the juno and bs2 presets send, with + / = and spaces in the secret', async () => {
		const secret = 'Ab+c/d=e f%2B=='
		const endpoint = mockTokenEndpoint({ tokenUrl: TOKEN_URL, clientId: 'juno client', clientSecret: secret })
		const preset = juno({ environment: 'sandbox', clientId: 'juno client', clientSecret: secret, tokenUrl: TOKEN_URL })
		const raw = createTokenManager(preset)
		const formEncoded = createTokenManager({ ...preset, basicAuthEncoding: 'form-urlencoded' })
		await raw.getToken()
		await formEncoded.getToken()
		await expect(createTokenManager({ ...preset, clientSecret: 'Ab+c/d=e f%2B=' }).getToken()).rejects.toMatchObject({ error: 'invalid_client' })
		expect(endpoint.requests.map((request) => [request.clientAuth, request.clientId, request.status])).toEqual([
			['client_secret_basic', 'juno client', 200],
			['client_secret_basic', 'juno client', 200],
			['client_secret_basic', 'juno client', 401],
		])
		expect(endpoint.authFailures).toEqual(['request 3 (client_credentials): client secret does not match (sent with client_secret_basic)'])
		endpoint.close()
	})

	it('refuses a wrong secret with 401 invalid_client, records why, and makes done() fail clearly', async () => {
		const endpoint = mockTokenEndpoint(credentials)
		const { tokens } = manager({ clientSecret: 'wrong-secret-value' })
		const error = await tokens.getToken().catch((caught: unknown) => caught)
		expect(error).toBeInstanceOf(OAuthError)
		expect(error).toMatchObject({ error: 'invalid_client', status: 401 })
		expect(endpoint.authFailures).toEqual(['request 1 (client_credentials): client secret does not match (sent with client_secret_basic)'])
		expect(() => endpoint.done()).toThrowError(/mock token endpoint https:\/\/auth\.example\.com\/oauth\/token: client authentication failed:\n {2}- request 1/)
		for (const text of [inspect(error), JSON.stringify(error), endpoint.authFailures.join(), inspect(endpoint.requests, { depth: 5 })]) {
			expect(text).not.toContain('wrong-secret-value')
			expect(text).not.toContain(CLIENT_SECRET)
		}
	})

	it('refuses a wrong secret sent in the body, a wrong client_id and a method other than the expected one', async () => {
		const endpoint = mockTokenEndpoint({ ...credentials, clientAuth: 'client_secret_post' })
		await expect(manager({ clientAuth: 'client_secret_post', clientSecret: 'nope' }).tokens.getToken()).rejects.toMatchObject({ error: 'invalid_client' })
		await expect(manager({ clientAuth: 'client_secret_post', clientId: 'client-2' }).tokens.getToken()).rejects.toMatchObject({ error: 'invalid_client' })
		await expect(manager().tokens.getToken()).rejects.toMatchObject({ error: 'invalid_client' })
		expect(endpoint.authFailures).toEqual([
			'request 1 (client_credentials): client secret does not match (sent with client_secret_post)',
			'request 2 (client_credentials): expected client_id "client-1", got client_id "client-2"',
			'request 3 (client_credentials): expected client_secret_post, got client_secret_basic',
		])
		endpoint.close()
	})

	it('refuses a public client when a secret is expected', async () => {
		const endpoint = mockTokenEndpoint(credentials)
		await expect(manager({ clientAuth: 'none', clientSecret: undefined }).tokens.getToken()).rejects.toMatchObject({ error: 'invalid_client', status: 401 })
		expect(endpoint.authFailures[0]).toMatch(/expected the client secret .* got none/)
		endpoint.close()
	})

	it('verifies client_secret_jwt assertions with the secret', async () => {
		const endpoint = mockTokenEndpoint(credentials)
		await manager({ clientAuth: 'client_secret_jwt' }).tokens.getToken()
		await expect(manager({ clientAuth: 'client_secret_jwt', clientSecret: 'another-secret' }).tokens.getToken()).rejects.toMatchObject({ error: 'invalid_client' })
		expect(endpoint.requests.map((request) => request.clientAuth)).toEqual(['client_secret_jwt', 'client_secret_jwt'])
		expect(endpoint.authFailures).toEqual(['request 2 (client_credentials): client_assertion rejected (ERR_JWS_SIGNATURE_VERIFICATION_FAILED)'])
		endpoint.close()
	})

	it('verifies private_key_jwt assertions with clientPublicKey', async () => {
		const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' })
		const other = generateKeyPairSync('ec', { namedCurve: 'prime256v1' })
		const endpoint = mockTokenEndpoint({ tokenUrl: TOKEN_URL, clientId: CLIENT_ID, clientAuth: 'private_key_jwt', clientPublicKey: publicKey })
		const keyed = (key: typeof privateKey) =>
			manager({ clientAuth: 'private_key_jwt', clientSecret: undefined, privateKey: key, keyId: 'k1', algorithm: 'ES256' } as Partial<TokenManagerOptions>)
		await keyed(privateKey).tokens.getToken()
		await expect(keyed(other.privateKey).tokens.getToken()).rejects.toMatchObject({ error: 'invalid_client' })
		expect(endpoint.requests.map((request) => [request.clientAuth, request.clientId, request.status])).toEqual([
			['private_key_jwt', CLIENT_ID, 200],
			['private_key_jwt', CLIENT_ID, 401],
		])
		endpoint.close()
	})

	it('accepts any client when it is told nothing to expect', async () => {
		const endpoint = mockTokenEndpoint({ tokenUrl: TOKEN_URL })
		await manager({ clientId: 'anyone', clientSecret: 'anything' }).tokens.getToken()
		expect(endpoint.requests[0]).toMatchObject({ clientId: 'anyone', status: 200 })
		endpoint.done()
	})
})

describe('authorization_code and refresh_token', () => {
	it('exchanges an approved code (PKCE and redirect URI checked) for an access and a refresh token', async () => {
		const endpoint = mockTokenEndpoint({ ...credentials, refreshExpiresIn: 30 * 86_400 })
		const { tokens } = manager()
		const token = await consent(tokens, endpoint)
		expect(token).toMatchObject({ accessToken: 'access-1', subject: 'account-42', scope: ['extrato.read', 'saldo.read'] })
		expect(endpoint.issued[0]).toMatchObject({ grantType: 'authorization_code', refreshToken: 'refresh-1', subject: 'account-42' })
		expect(endpoint.requests[0]?.form).toMatchObject({ grant_type: 'authorization_code', redirect_uri: REDIRECT_URI, code_verifier: expect.any(String) })
		expect(await tokens.consent({ subject: 'account-42' })).toMatchObject({ refreshExpiresAt: T0 + 30 * 86_400_000 })
		endpoint.done()
	})

	it('refuses a wrong PKCE verifier, a wrong redirect URI, an unknown code and a replayed one', async () => {
		const endpoint = mockTokenEndpoint(credentials)
		const { tokens } = manager()
		const exchange = (code: string, extra: { codeVerifier?: string; redirectUri?: string } = {}) =>
			tokens.exchangeCode({ code, state: 's', expectedState: 's', subject: 'account-42', ...extra })
		const pkce = endpoint.issueCode({ codeChallenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM' })
		await expect(exchange(pkce, { codeVerifier: 'not-the-verifier' })).rejects.toMatchObject({ error: 'invalid_grant' })
		const bound = endpoint.issueCode({ redirectUri: 'https://other.example.com/cb' })
		await expect(exchange(bound)).rejects.toMatchObject({ error: 'invalid_grant' })
		await expect(exchange('made-up')).rejects.toMatchObject({ error: 'invalid_grant' })
		const good = endpoint.issueCode({ code: 'good-code', codeChallenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM' })
		await exchange(good, { codeVerifier: 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk' })
		await expect(exchange(good, { codeVerifier: 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk' })).rejects.toMatchObject({ error: 'invalid_grant' })
		expect(endpoint.requests.map((request) => request.errorDescription)).toEqual([
			'code_verifier does not match the code_challenge',
			'redirect_uri differs from the one in the authorization request',
			'unknown authorization code (make one with issueCode() or approve())',
			undefined,
			'authorization code already used; the tokens issued with it are revoked',
		])
		endpoint.done()
	})

	it('expires codes after ten minutes', async () => {
		const endpoint = mockTokenEndpoint(credentials)
		const code = endpoint.issueCode()
		vi.setSystemTime(T0 + 10 * 60_000)
		await expect(manager().tokens.exchangeCode({ code, state: 's', expectedState: 's', subject: 'a' })).rejects.toMatchObject({ error: 'invalid_grant' })
		endpoint.done()
	})

	it('rotates the refresh token on every refresh', async () => {
		const endpoint = mockTokenEndpoint({ ...credentials, expiresIn: 300 })
		const { tokens } = manager()
		await consent(tokens, endpoint)
		vi.setSystemTime(T0 + 300_000)
		expect(await tokens.getToken({ subject: 'account-42' })).toMatchObject({ accessToken: 'access-2', expiresAt: T0 + 600_000 })
		vi.setSystemTime(T0 + 600_000)
		expect(await tokens.getToken({ subject: 'account-42' })).toMatchObject({ accessToken: 'access-3' })
		const refreshes = endpoint.requests.filter((request) => request.grantType === 'refresh_token')
		expect(refreshes.map((request) => request.form.refresh_token)).toEqual(['refresh-1', 'refresh-2'])
		expect(endpoint.issued.map((issued) => issued.refreshToken)).toEqual(['refresh-1', 'refresh-2', 'refresh-3'])
		expect(endpoint.count('refresh_token')).toBe(2)
		endpoint.done()
	})

	it('detects reuse of a rotated refresh token: invalid_grant, and the whole grant is revoked', async () => {
		const endpoint = mockTokenEndpoint(credentials)
		const { tokens } = manager()
		await consent(tokens, endpoint)
		await tokens.getToken({ subject: 'account-42', forceRefresh: true })
		// Someone replays refresh-1, which the refresh above retired.
		const replay = await fetch(TOKEN_URL, {
			method: 'POST',
			headers: { 'content-type': 'application/x-www-form-urlencoded' },
			body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: 'refresh-1', client_id: CLIENT_ID, client_secret: CLIENT_SECRET }),
		})
		expect(replay.status).toBe(400)
		expect(await replay.json()).toEqual({ error: 'invalid_grant', error_description: 'refresh token reused after rotation; the grant is revoked' })
		// The holder's live refresh token (refresh-2) died with the grant: consent is needed again.
		const error = await tokens.getToken({ subject: 'account-42', forceRefresh: true }).catch((caught: unknown) => caught)
		expect(error).toBeInstanceOf(ConsentRequiredError)
		expect(error).toMatchObject({ reason: 'invalid_grant' })
		endpoint.done()
	})

	it('keeps the refresh token without rotation, and narrows but never widens scope on refresh', async () => {
		const endpoint = mockTokenEndpoint({ ...credentials, rotateRefreshTokens: false })
		const { tokens } = manager()
		await consent(tokens, endpoint)
		await tokens.getToken({ subject: 'account-42', forceRefresh: true })
		await tokens.getToken({ subject: 'account-42', forceRefresh: true })
		expect(endpoint.requests.filter((request) => request.grantType === 'refresh_token').map((request) => request.form.refresh_token)).toEqual(['refresh-1', 'refresh-1'])
		expect(await tokens.getToken({ subject: 'account-42', scope: 'saldo.read' })).toMatchObject({ scope: ['saldo.read'] })
		await expect(tokens.getToken({ subject: 'account-42', scope: 'pix.write' })).rejects.toMatchObject({ error: 'invalid_scope' })
		endpoint.done()
	})

	it('lapses refresh tokens after refreshExpiresIn, on the fake clock', async () => {
		// refresh_expires_in left out of the response: the manager does not know the lifetime, so it is the server that refuses.
		const endpoint = mockTokenEndpoint({ ...credentials, refreshExpiresIn: 3600, responseFields: { refresh_expires_in: undefined } })
		const { tokens } = manager()
		await consent(tokens, endpoint)
		vi.setSystemTime(T0 + 3599_000)
		await tokens.getToken({ subject: 'account-42', forceRefresh: true })
		expect(endpoint.requests.at(-1)).toMatchObject({ grantType: 'refresh_token', status: 200 })
		// The rotated refresh token got a fresh hour at T0 + 3599 s.
		vi.setSystemTime(T0 + 3599_000 + 3600_000)
		await expect(tokens.getToken({ subject: 'account-42', forceRefresh: true })).rejects.toBeInstanceOf(ConsentRequiredError)
		expect(endpoint.requests.at(-1)).toMatchObject({ error: 'invalid_grant', errorDescription: 'refresh token expired' })
		endpoint.done()
	})

	it('revokes refresh tokens on demand and at the revocation endpoint (RFC 7009)', async () => {
		const endpoint = mockTokenEndpoint({ ...credentials, revocationUrl: REVOCATION_URL })
		const { tokens } = manager()
		await consent(tokens, endpoint, 'account-1')
		await consent(tokens, endpoint, 'account-2')
		await tokens.revoke({ subject: 'account-1' })
		expect(endpoint.revocations).toEqual([{ token: 'refresh-1', tokenTypeHint: 'refresh_token', clientId: CLIENT_ID, clientAuth: 'client_secret_basic', at: T0, status: 200 }])
		endpoint.revokeRefreshTokens()
		await expect(tokens.getToken({ subject: 'account-2', forceRefresh: true })).rejects.toBeInstanceOf(ConsentRequiredError)
		endpoint.done()
	})

	it('plays the consent flow as docs/testing.md shows it', async () => {
		const endpoint = mockTokenEndpoint({ ...credentials, expiresIn: 300 })
		const { tokens } = manager()
		const request = await tokens.authorizationUrl({ scope: 'saldo.read', pkce: true })
		const { code, state } = endpoint.approve(request.url, { subject: 'account-42' })
		await tokens.exchangeCode({ code, state, expectedState: request.state, codeVerifier: request.codeVerifier, subject: 'account-42' })
		vi.advanceTimersByTime(300_000)
		await tokens.getToken({ subject: 'account-42' })
		expect(endpoint.requests.at(-1)?.form.refresh_token).toBe('refresh-1')
		endpoint.revokeRefreshTokens()
		await expect(tokens.getToken({ subject: 'account-42', forceRefresh: true })).rejects.toBeInstanceOf(ConsentRequiredError)
		endpoint.done()
	})

	it('refuses an authorization request it would not serve', async () => {
		const endpoint = mockTokenEndpoint({ ...credentials, scopes: ['saldo.read'] })
		expect(() => endpoint.approve(`${AUTHORIZE_URL}?response_type=token&client_id=${CLIENT_ID}&redirect_uri=x`)).toThrowError(/response_type/)
		expect(() => endpoint.approve(`${AUTHORIZE_URL}?response_type=code&client_id=other&redirect_uri=x`)).toThrowError(/client_id/)
		expect(() => endpoint.approve(`${AUTHORIZE_URL}?response_type=code&client_id=${CLIENT_ID}`)).toThrowError(/redirect_uri/)
		expect(() => endpoint.approve(`${AUTHORIZE_URL}?response_type=code&client_id=${CLIENT_ID}&redirect_uri=x`)).toThrowError(/absolute URL/)
		expect(() => endpoint.approve(`${AUTHORIZE_URL}?response_type=code&client_id=${CLIENT_ID}&redirect_uri=${REDIRECT_URI}`)).toThrowError(/state is missing/)
		expect(() => endpoint.approve(`${AUTHORIZE_URL}?response_type=code&client_id=${CLIENT_ID}&redirect_uri=${REDIRECT_URI}&state=s&scope=pix.write`)).toThrowError(/pix\.write/)
		const approval = endpoint.approve(`${AUTHORIZE_URL}?response_type=code&client_id=${CLIENT_ID}&redirect_uri=${encodeURIComponent(REDIRECT_URI)}&state=xyz`)
		expect(approval).toEqual({ code: 'code-1', state: 'xyz', callbackUrl: `${REDIRECT_URI}?code=code-1&state=xyz` })
		endpoint.done()
	})
})

describe('token formats and lifetime', () => {
	it('issues unsigned JWTs whose exp matches the lifetime, and the manager trusts that exp', async () => {
		const endpoint = mockTokenEndpoint({ ...credentials, tokenFormat: 'jwt', expiresIn: 120 })
		const { tokens, events } = manager({ scope: 'cob.read' })
		const token = await tokens.getToken()
		const claims = decodeJwt(token.accessToken)
		expect(claims).toMatchObject({ iss: 'https://auth.example.com', sub: CLIENT_ID, client_id: CLIENT_ID, scope: 'cob.read', iat: T0 / 1000, exp: T0 / 1000 + 120 })
		expect(decodeProtectedHeader(token.accessToken)).toEqual({ alg: 'none' })
		expect(token.expiresAt).toBe(T0 + 120_000)
		expect(endpoint.issued[0]?.expiresAt).toBe(T0 + 120_000)
		expect(events.find((event) => event.type === 'token')).toMatchObject({ expirySource: 'jwt-exp' })
		endpoint.done()
	})

	it('signs HS256 JWTs with jose, with audience, issuer and extra claims', async () => {
		const secret = 'a-signing-secret-of-at-least-32-bytes!'
		const endpoint = mockTokenEndpoint({
			...credentials,
			tokenFormat: { alg: 'HS256', secret, issuer: 'https://issuer.example.com', audience: 'https://api.example.com', claims: { tenant: 't1' } },
		})
		const { tokens } = manager()
		await consent(tokens, endpoint)
		const token = await tokens.getToken({ subject: 'account-42' })
		const { payload, protectedHeader } = await jwtVerify(token.accessToken, new TextEncoder().encode(secret), {
			issuer: 'https://issuer.example.com',
			audience: 'https://api.example.com',
			currentDate: new Date(T0),
		})
		expect(protectedHeader).toEqual({ alg: 'HS256', typ: 'at+jwt' })
		expect(payload).toMatchObject({ sub: 'account-42', tenant: 't1', exp: T0 / 1000 + 3600 })
		endpoint.done()
	})

	it('takes expiry from Date.now(), so fake timers drive both the mock and the manager', async () => {
		const endpoint = mockTokenEndpoint({ ...credentials, expiresIn: 300 })
		const { tokens } = manager({ refreshAhead: 60_000, expiryMargin: 10_000 })
		expect(await tokens.getToken()).toMatchObject({ accessToken: 'access-1', expiresAt: T0 + 300_000 })
		await vi.advanceTimersByTimeAsync(230_000)
		expect((await tokens.getToken()).accessToken).toBe('access-1')
		expect(endpoint.count()).toBe(1)
		vi.setSystemTime(T0 + 291_000)
		const next = await tokens.getToken()
		expect(next).toMatchObject({ accessToken: 'access-2', expiresAt: T0 + 291_000 + 300_000 })
		expect(endpoint.issued.map((issued) => issued.issuedAt)).toEqual([T0, T0 + 291_000])
		endpoint.done()
	})
})

describe('without nock', () => {
	it('createTokenServer serves a manager through its fetch option', async () => {
		nock.enableNetConnect()
		const server = createTokenServer({ ...credentials, expiresIn: 60 })
		const { tokens } = manager({ fetch: server.fetch })
		expect(await tokens.getToken()).toMatchObject({ accessToken: 'access-1', expiresAt: T0 + 60_000 })
		expect(server.requests).toHaveLength(1)
		await expect(server.fetch('https://elsewhere.example.com/token', { method: 'POST' })).rejects.toThrowError(TypeError)
		server.verify()
		const open = createTokenServer({ tokenUrl: TOKEN_URL })
		const response = await open.handle(new Request(TOKEN_URL, { method: 'POST', body: new URLSearchParams({ grant_type: 'password' }) }))
		expect(response.status).toBe(400)
		expect(await response.json()).toMatchObject({ error: 'unsupported_grant_type' })
	})
})

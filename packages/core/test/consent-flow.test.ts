import { createHash } from 'node:crypto'
import { inspect } from 'node:util'
import nock from 'nock'
import { describe, expect, it, vi } from 'vitest'
import {
	ConsentRequiredError,
	memoryStore,
	OAuthError,
	StateMismatchError,
	StoreFullError,
	StoreUnavailableError,
	type StoredTokenSet,
	TokenEndpointError,
	type TokenManagerOptions,
	type TokenStore,
} from '@tokenwarden/core'
import { CLIENT_ID, flush, ISSUER, networkError, opaque, recorder, type SeenRequest, setup, slowly, TOKEN_PATH, TOKEN_URL, useFakeTime, useNock } from './helpers.ts'

useNock()

const AUTHORIZE_URL = `${ISSUER}/oauth/authorize`
const REDIRECT_URI = 'https://app.example.com/callback'
const DAY = 24 * 60 * 60 * 1000
const T0 = Date.parse('2026-03-01T12:00:00Z')

useFakeTime(T0)

function consentManager(overrides: Partial<TokenManagerOptions> = {}) {
	return setup({
		authorizeUrl: AUTHORIZE_URL,
		revocationUrl: `${ISSUER}/oauth/revoke`,
		redirectUri: REDIRECT_URI,
		scope: 'saldo.read extrato.read',
		refreshTokenLifetime: 30 * DAY,
		retry: { limit: 1, delay: 1 },
		...overrides,
	})
}

/** An authorization server that rotates refresh tokens: each refresh returns a new one and kills the old. */
function rotatingServer(expiresIn = 300) {
	const live = new Set<string>()
	let issued = 0
	const endpoint = recorder((seen) => {
		if (seen.form.grant_type === 'authorization_code') {
			issued++
			live.add(`rt-${issued}`)
			return [200, { access_token: `at-${issued}`, token_type: 'bearer', expires_in: expiresIn, refresh_token: `rt-${issued}`, scope: 'saldo.read extrato.read' }]
		}
		if (seen.form.grant_type === 'refresh_token') {
			if (!live.delete(seen.form.refresh_token ?? '')) return [400, { error: 'invalid_grant', error_description: 'refresh token reused or revoked' }]
			issued++
			live.add(`rt-${issued}`)
			return [200, { access_token: `at-${issued}`, token_type: 'bearer', expires_in: expiresIn, refresh_token: `rt-${issued}` }]
		}
		return [400, { error: 'unsupported_grant_type' }]
	})
	nock(ISSUER).post(TOKEN_PATH).times(1000).reply(endpoint.reply)
	return { endpoint, refreshes: () => endpoint.seen.filter((seen) => seen.form.grant_type === 'refresh_token') }
}

async function consent(tokens: ReturnType<typeof consentManager>['tokens'], subject = 'account-42') {
	const { state, codeVerifier } = await tokens.authorizationUrl({ pkce: true })
	return tokens.exchangeCode({ code: 'the-code', state, expectedState: state, codeVerifier, subject })
}

describe('authorizationUrl', () => {
	it('builds the authorization request with a random 128-bit state and PKCE S256', async () => {
		const { tokens } = consentManager()
		const { url, state, codeVerifier } = await tokens.authorizationUrl({ scope: ['saldo.read'], pkce: true, params: { prompt: 'consent' } })
		const parsed = new URL(url)
		expect(`${parsed.origin}${parsed.pathname}`).toBe(AUTHORIZE_URL)
		expect(Object.fromEntries(parsed.searchParams)).toEqual({
			response_type: 'code',
			client_id: CLIENT_ID,
			redirect_uri: REDIRECT_URI,
			scope: 'saldo.read',
			state,
			code_challenge: createHash('sha256')
				.update(codeVerifier as string)
				.digest('base64url'),
			code_challenge_method: 'S256',
			prompt: 'consent',
		})
		expect(Buffer.from(state, 'base64url')).toHaveLength(16)
		expect(codeVerifier).toMatch(/^[A-Za-z0-9_-]{43,128}$/)
		const other = await tokens.authorizationUrl({})
		expect(other.state).not.toBe(state)
		expect(other.codeVerifier).toBeUndefined()
		expect(new URL(other.url).searchParams.get('scope')).toBe('extrato.read saldo.read')
	})

	it('keeps a given state and redirect URI, and refuses to let params override protocol fields', async () => {
		const { tokens } = consentManager()
		const { url, state } = await tokens.authorizationUrl({ state: 'my-state', redirectUri: 'https://other.example.com/cb' })
		expect(state).toBe('my-state')
		expect(new URL(url).searchParams.get('redirect_uri')).toBe('https://other.example.com/cb')
		await expect(tokens.authorizationUrl({ params: { state: 'x' } })).rejects.toBeInstanceOf(TypeError)
	})
})

describe('exchangeCode', () => {
	it('fails on a state mismatch before any request', async () => {
		const server = rotatingServer()
		const { tokens } = consentManager()
		await expect(tokens.exchangeCode({ code: 'c', state: 'returned', expectedState: 'expected', subject: 's' })).rejects.toBeInstanceOf(StateMismatchError)
		expect(server.endpoint.count()).toBe(0)
	})

	it('exchanges the code with client authentication and stores the token set under the subject', async () => {
		const server = rotatingServer()
		const { tokens } = consentManager()
		const token = await consent(tokens)
		expect(token).toMatchObject({ accessToken: 'at-1', tokenType: 'Bearer', subject: 'account-42' })
		const [seen] = server.endpoint.seen as [SeenRequest]
		expect(seen.form).toMatchObject({ grant_type: 'authorization_code', code: 'the-code', redirect_uri: REDIRECT_URI })
		expect(seen.form.code_verifier).toMatch(/^[A-Za-z0-9_-]{43}$/)
		expect(seen.headers.get('authorization')).toMatch(/^Basic /)
		expect((await tokens.getToken({ subject: 'account-42' })).accessToken).toBe('at-1')
		expect(await tokens.consent({ subject: 'account-42' })).toEqual({
			subject: 'account-42',
			scope: ['extrato.read', 'saldo.read'],
			refreshExpiresAt: T0 + 30 * DAY,
		})
		expect(server.endpoint.count()).toBe(1)
	})
})

describe('refresh with rotating refresh tokens', () => {
	it('refreshes with the stored refresh token, sends the scope, and uses the rotated one next time', async () => {
		const server = rotatingServer(300)
		const { tokens } = consentManager()
		await consent(tokens)
		vi.setSystemTime(T0 + 301_000)
		expect((await tokens.getToken({ subject: 'account-42' })).accessToken).toBe('at-2')
		vi.setSystemTime(T0 + 700_000)
		expect((await tokens.getToken({ subject: 'account-42' })).accessToken).toBe('at-3')
		expect(server.refreshes().map((seen) => seen.form)).toEqual([
			{ grant_type: 'refresh_token', refresh_token: 'rt-1', scope: 'extrato.read saldo.read' },
			{ grant_type: 'refresh_token', refresh_token: 'rt-2', scope: 'extrato.read saldo.read' },
		])
		expect(server.refreshes().every((seen) => seen.headers.get('authorization')?.startsWith('Basic '))).toBe(true)
	})

	it('makes one refresh request for any number of concurrent callers of one subject', async () => {
		const server = rotatingServer(300)
		const { tokens } = consentManager()
		await consent(tokens)
		vi.setSystemTime(T0 + 301_000)
		const results = await Promise.all(Array.from({ length: 200 }, (_, i) => tokens.getToken({ subject: 'account-42', forceRefresh: i % 2 === 0 })))
		expect(new Set(results.map((token) => token.accessToken))).toEqual(new Set(['at-2']))
		expect(server.refreshes()).toHaveLength(1)
	})

	it('stores the rotated refresh token before handing out the access token', async () => {
		rotatingServer(300)
		const store = memoryStore()
		const order: string[] = []
		const spying: TokenStore = {
			...store,
			set: async (key: string, value: StoredTokenSet, options) => {
				await store.set(key, value, options)
				order.push(value.refreshToken ? `grant:${value.refreshToken}` : `access:${value.accessToken}`)
			},
		}
		const { tokens } = consentManager({ store: spying })
		await consent(tokens)
		vi.setSystemTime(T0 + 301_000)
		await tokens.getToken({ subject: 'account-42' }).then((token) => order.push(`handed:${token.accessToken}`))
		expect(order).toEqual(['grant:rt-1', 'access:at-1', 'grant:rt-2', 'access:at-2', 'handed:at-2'])
	})

	it('keeps the old refresh token when a refresh response has none', async () => {
		let n = 0
		const endpoint = recorder((seen) => {
			n++
			if (seen.form.grant_type === 'authorization_code') return [200, { access_token: 'at-1', token_type: 'Bearer', expires_in: 60, refresh_token: 'rt-keep' }]
			return [200, { access_token: `at-${n}`, token_type: 'Bearer', expires_in: 60 }]
		})
		nock(ISSUER).post(TOKEN_PATH).times(3).reply(endpoint.reply)
		const { tokens } = consentManager()
		await consent(tokens)
		vi.setSystemTime(T0 + 61_000)
		await tokens.getToken({ subject: 'account-42' })
		vi.setSystemTime(T0 + 122_000)
		await tokens.getToken({ subject: 'account-42' })
		expect(endpoint.seen.slice(1).map((seen) => seen.form.refresh_token)).toEqual(['rt-keep', 'rt-keep'])
	})

	it('takes the refresh token lifetime from refresh_expires_in when present', async () => {
		nock(ISSUER).post(TOKEN_PATH).reply(200, { access_token: 'a', token_type: 'Bearer', expires_in: 60, refresh_token: 'r', refresh_expires_in: 7200 })
		const { tokens } = consentManager()
		await consent(tokens)
		expect((await tokens.consent({ subject: 'account-42' }))?.refreshExpiresAt).toBe(T0 + 7_200_000)
	})

	it('warns consentWarning before the refresh token lapses', async () => {
		rotatingServer()
		const { tokens, events } = consentManager({ consentWarning: 2 * DAY })
		await consent(tokens)
		await vi.advanceTimersByTimeAsync(28 * DAY - 1000)
		expect(events.some((event) => event.type === 'consent-expiring')).toBe(false)
		await vi.advanceTimersByTimeAsync(1000)
		expect(events.find((event) => event.type === 'consent-expiring')).toEqual({
			type: 'consent-expiring',
			subject: 'account-42',
			refreshExpiresAt: T0 + 30 * DAY,
		})
	})
})

describe('the consented scope', () => {
	it('refreshes a holder with the scope consented to, not the manager default (which is for client credentials)', async () => {
		let issued = 0
		const endpoint = recorder((seen) => {
			issued++
			// This server does not echo the scope.
			return [200, { access_token: `at-${issued}`, token_type: 'Bearer', expires_in: 300, refresh_token: `rt-${issued}` }]
		})
		nock(ISSUER).post(TOKEN_PATH).times(5).reply(endpoint.reply)
		const { tokens } = consentManager({ scope: 'cob.read cob.write' })
		const { state } = await tokens.authorizationUrl({ scope: 'saldo.read' })
		await tokens.exchangeCode({ code: 'c', state, expectedState: state, subject: 'h' })
		expect((await tokens.getToken({ subject: 'h' })).accessToken).toBe('at-1')
		expect(await tokens.consent({ subject: 'h' })).toMatchObject({ scope: ['saldo.read'] })
		vi.setSystemTime(T0 + 301_000)
		await tokens.getToken({ subject: 'h' })
		expect(endpoint.seen[1]?.form).toMatchObject({ grant_type: 'refresh_token', scope: 'saldo.read' })
	})
})

describe('consent required', () => {
	it('invalid_grant on refresh: ConsentRequiredError and an event, the set removed, no retry loop', async () => {
		const server = rotatingServer(300)
		const { tokens, events } = consentManager()
		await consent(tokens)
		// The refresh token dies at the provider (the holder revoked the consent in the bank's app).
		nock.cleanAll()
		const endpoint = recorder(() => [400, { error: 'invalid_grant' }])
		nock(ISSUER).post(TOKEN_PATH).times(5).reply(endpoint.reply)
		vi.setSystemTime(T0 + 301_000)
		const error = await tokens.getToken({ subject: 'account-42' }).catch((caught: unknown) => caught)
		expect(error).toBeInstanceOf(ConsentRequiredError)
		expect(error).toMatchObject({ code: 'CONSENT_REQUIRED', subject: 'account-42', reason: 'invalid_grant' })
		expect((error as Error).cause).toBeInstanceOf(OAuthError)
		expect(events.filter((event) => event.type === 'consent-required')).toEqual([{ type: 'consent-required', subject: 'account-42', reason: 'invalid_grant' }])
		expect(endpoint.count()).toBe(1)
		// The dead set is gone: no request at all now.
		await expect(tokens.getToken({ subject: 'account-42' })).rejects.toMatchObject({ reason: 'no_refresh_token' })
		expect(endpoint.count()).toBe(1)
		expect(await tokens.consent({ subject: 'account-42' })).toBeUndefined()
		void server
	})

	it('no refresh token: ConsentRequiredError without a request', async () => {
		const endpoint = recorder()
		nock(ISSUER).post(TOKEN_PATH).reply(endpoint.reply)
		const { tokens } = consentManager()
		await expect(tokens.getToken({ subject: 'nobody' })).rejects.toMatchObject({ code: 'CONSENT_REQUIRED', subject: 'nobody', reason: 'no_refresh_token' })
		expect(endpoint.count()).toBe(0)
	})

	it('an expired refresh token: ConsentRequiredError without a request', async () => {
		const server = rotatingServer(300)
		const { tokens, events } = consentManager()
		await consent(tokens)
		vi.setSystemTime(T0 + 30 * DAY + 60_000)
		await expect(tokens.getToken({ subject: 'account-42' })).rejects.toMatchObject({ reason: 'refresh_token_expired' })
		expect(server.refreshes()).toHaveLength(0)
		expect(events.some((event) => event.type === 'consent-required' && event.reason === 'refresh_token_expired')).toBe(true)
	})

	it('a network failure during refresh keeps the refresh token and reports the failure', async () => {
		const { tokens, events } = consentManager({ retry: 0 })
		const server = rotatingServer(300)
		await consent(tokens)
		nock.cleanAll()
		nock(ISSUER).post(TOKEN_PATH).replyWithError(networkError())
		vi.setSystemTime(T0 + 301_000)
		await expect(tokens.getToken({ subject: 'account-42' })).rejects.toBeInstanceOf(TokenEndpointError)
		nock(ISSUER).post(TOKEN_PATH).times(5).reply(server.endpoint.reply)
		const token = await tokens.getToken({ subject: 'account-42' })
		expect(token.accessToken).toBe('at-2')
		expect(server.refreshes()[0]?.form.refresh_token).toBe('rt-1')
		expect(events.some((event) => event.type === 'consent-required')).toBe(false)
	})
})

describe('refresh tokens are never spent twice, nor leaked', () => {
	it('masks a refresh token the server echoes in error_description', async () => {
		rotatingServer(300)
		const { tokens, events } = consentManager()
		await consent(tokens)
		nock.cleanAll()
		nock(ISSUER).post(TOKEN_PATH).reply(400, { error: 'invalid_grant', error_description: 'Invalid refresh token: rt-1' })
		vi.setSystemTime(T0 + 301_000)
		const error = await tokens.getToken({ subject: 'account-42' }).catch((caught: unknown) => caught)
		expect(error).toBeInstanceOf(ConsentRequiredError)
		const rendered = [JSON.stringify(error), inspect(error, { depth: 10 }), String((error as Error).cause), inspect(events, { depth: 10 })].join('\n')
		// 'rt-1' is too short to mask safely: no server text is quoted at all.
		expect(rendered).toContain('[server text withheld')
		expect(rendered).not.toContain('rt-1')
	})

	it('does not retry a refresh that timed out (the server may have rotated the token) and keeps the refresh token', async () => {
		rotatingServer(300)
		const { tokens } = consentManager({ timeout: 50, retry: { limit: 3, delay: 1 } })
		await consent(tokens)
		nock.cleanAll()
		const endpoint = recorder(() => [200, opaque(9)])
		// Answers only after the client gave up (setTimeout is faked: this reply waits for the test's clock).
		nock(ISSUER).post(TOKEN_PATH).times(4).reply(slowly(300, endpoint.reply))
		const pending = tokens.getToken({ subject: 'account-42', forceRefresh: true }).catch((caught: unknown) => caught)
		for (let i = 0; i < 40; i++) {
			await flush(2)
			await vi.advanceTimersByTimeAsync(25)
		}
		expect(await pending).toBeInstanceOf(TokenEndpointError)
		expect(endpoint.count()).toBe(1)
		expect((await tokens.consent({ subject: 'account-42' }))?.subject).toBe('account-42')
	})

	it('still retries a refresh the server refused to process (503)', async () => {
		const server = rotatingServer(300)
		const { tokens } = consentManager({ retry: { limit: 2, delay: 1 } })
		await consent(tokens)
		nock.cleanAll()
		nock(ISSUER).post(TOKEN_PATH).reply(503)
		nock(ISSUER).post(TOKEN_PATH).times(5).reply(server.endpoint.reply)
		const pending = tokens.getToken({ subject: 'account-42', forceRefresh: true })
		for (let i = 0; i < 10; i++) {
			await flush(2)
			await vi.advanceTimersByTimeAsync(10)
		}
		await expect(pending).resolves.toMatchObject({ accessToken: 'at-2' })
	})

	it('keeps the rotated refresh token of a 2xx response it could not use', async () => {
		const server = rotatingServer(300)
		const { tokens } = consentManager()
		await consent(tokens)
		nock.cleanAll()
		// The server rotated (rt-1 is spent) but sent an access token we cannot use.
		nock(ISSUER).post(TOKEN_PATH).reply(200, { access_token: 'x', token_type: 'DPoP', expires_in: 300, refresh_token: 'rt-rotated' })
		vi.setSystemTime(T0 + 301_000)
		await expect(tokens.getToken({ subject: 'account-42' })).rejects.toMatchObject({ reason: 'unsupported_token_type' })
		const next = recorder(() => [200, { access_token: 'at-ok', token_type: 'Bearer', expires_in: 300, refresh_token: 'rt-next' }])
		nock(ISSUER).post(TOKEN_PATH).reply(next.reply)
		expect((await tokens.getToken({ subject: 'account-42' })).accessToken).toBe('at-ok')
		expect(next.seen[0]?.form.refresh_token).toBe('rt-rotated')
		void server
	})
})

describe('a shared store that fails', () => {
	it('a store that cannot be read is not "consent required": StoreUnavailableError, and the set survives', async () => {
		rotatingServer(300)
		const store = memoryStore()
		let down = false
		const flaky: TokenStore = { ...store, get: (key) => (down ? Promise.reject(new Error('ECONNREFUSED')) : store.get(key)) }
		const first = consentManager({ store: flaky })
		await consent(first.tokens)
		// Another process of the fleet, which never saw this holder, asks while the store is down.
		const second = consentManager({ store: flaky })
		down = true
		vi.setSystemTime(T0 + 301_000)
		const error = await second.tokens.getToken({ subject: 'account-42' }).catch((caught: unknown) => caught)
		expect(error).toBeInstanceOf(StoreUnavailableError)
		expect(error).toMatchObject({ code: 'STORE_UNAVAILABLE', subject: 'account-42' })
		expect(second.events.some((event) => event.type === 'consent-required')).toBe(false)
		down = false
		expect((await store.get(`tokenwarden:v1:grant:${[TOKEN_URL, CLIENT_ID, 'account-42'].map(encodeURIComponent).join(':')}`))?.refreshToken).toBe('rt-1')
		vi.setSystemTime(T0 + 301_000 + 10_001) // after the store's pause (the manager's timeout)
		expect((await second.tokens.getToken({ subject: 'account-42' })).subject).toBe('account-42')
	})

	it('invalid_grant because another process rotated meanwhile (no fleet lock): takes the successor from the store, consent kept', async () => {
		const server = rotatingServer(300)
		const store = memoryStore() // no lock: two managers may refresh the same holder at once
		const a = consentManager({ store })
		const b = consentManager({ store })
		await consent(a.tokens)
		vi.setSystemTime(T0 + 301_000)
		const [fromA, fromB] = await Promise.all([a.tokens.getToken({ subject: 'account-42' }), b.tokens.getToken({ subject: 'account-42' })])
		expect(fromA.subject).toBe('account-42')
		expect(fromB.subject).toBe('account-42')
		// b sent the spent rt-1, was refused, found rt-2 in the store and refreshed with it.
		expect(server.refreshes().map((seen) => seen.form.refresh_token)).toEqual(['rt-1', 'rt-1', 'rt-2'])
		expect([...a.events, ...b.events].some((event) => event.type === 'consent-required')).toBe(false)
		expect((await a.tokens.consent({ subject: 'account-42' }))?.subject).toBe('account-42')
	})
})

describe('many subjects', () => {
	it('keeps one set per subject', async () => {
		const server = rotatingServer(300)
		const { tokens } = consentManager()
		await consent(tokens, 'a')
		await consent(tokens, 'b')
		expect((await tokens.getToken({ subject: 'a' })).subject).toBe('a')
		expect((await tokens.getToken({ subject: 'b' })).accessToken).not.toBe((await tokens.getToken({ subject: 'a' })).accessToken)
		void server
	})

	it('never evicts refresh tokens: past the bound, a new holder is refused with StoreFullError and the others keep working', async () => {
		rotatingServer(300)
		const { tokens } = consentManager({ store: memoryStore({ maxRefreshEntries: 2, maxEntries: 1 }) })
		await consent(tokens, 'a')
		await consent(tokens, 'b')
		await expect(consent(tokens, 'c')).rejects.toBeInstanceOf(StoreFullError)
		vi.setSystemTime(T0 + 301_000)
		expect((await tokens.getToken({ subject: 'a' })).subject).toBe('a')
		expect((await tokens.getToken({ subject: 'b' })).subject).toBe('b')
		await tokens.logout({ subject: 'a' })
		await expect(consent(tokens, 'c')).resolves.toMatchObject({ subject: 'c' })
	})
})

describe('revoke and logout', () => {
	it('revokes the refresh token at the RFC 7009 endpoint with client authentication, then forgets the set', async () => {
		rotatingServer(300)
		const revocation = recorder(() => [200])
		nock(ISSUER).post('/oauth/revoke').reply(revocation.reply)
		const { tokens } = consentManager()
		await consent(tokens)
		await tokens.revoke({ subject: 'account-42' })
		expect(revocation.seen[0]?.form).toEqual({ token: 'rt-1', token_type_hint: 'refresh_token' })
		expect(revocation.seen[0]?.headers.get('authorization')).toMatch(/^Basic /)
		await expect(tokens.getToken({ subject: 'account-42' })).rejects.toBeInstanceOf(ConsentRequiredError)
	})

	it('revoke without a revocation endpoint is a TypeError', async () => {
		const { tokens } = consentManager({ revocationUrl: undefined })
		await expect(tokens.revoke({ subject: 'x' })).rejects.toBeInstanceOf(TypeError)
	})

	it('logout removes the set without a request', async () => {
		rotatingServer(300)
		const { tokens } = consentManager()
		await consent(tokens)
		await tokens.logout({ subject: 'account-42' })
		await flush()
		await expect(tokens.getToken({ subject: 'account-42' })).rejects.toMatchObject({ reason: 'no_refresh_token' })
	})
})

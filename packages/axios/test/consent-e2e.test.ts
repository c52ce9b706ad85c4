// End to end: the consent flow against a real local authorization server that rotates refresh tokens and
// rejects a reused one, driven through the axios adapter with 50 concurrent requests across expiries.
import { once } from 'node:events'
import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import axios from 'axios'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTokenManager, memoryStore, type StoredTokenSet, type TokenStore } from '@tokenwarden/core'
import { withTokens } from '@tokenwarden/axios'

const LIFETIME_S = 1
const CLIENT = { id: 'partner', secret: 'partner-secret' }

/** The authorization server: codes, access tokens, and refresh tokens rotated on every use. */
function authorizationServer() {
	const codes = new Map<string, string>()
	const liveRefreshTokens = new Set<string>()
	const accessTokens = new Map<string, number>()
	const stats = { refreshes: 0, invalidGrant: 0, exchanges: 0 }
	let serial = 0
	const issue = () => {
		serial++
		const access = `access-${serial}`
		const refresh = `refresh-${serial}`
		accessTokens.set(access, Date.now() + LIFETIME_S * 1000)
		liveRefreshTokens.add(refresh)
		return { access_token: access, token_type: 'bearer', expires_in: LIFETIME_S, refresh_token: refresh, scope: 'saldo.read' }
	}
	const server = createServer(async (request, response) => {
		const url = new URL(request.url ?? '/', 'http://127.0.0.1')
		const reply = (status: number, body: unknown) => {
			response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body))
		}
		if (url.pathname === '/authorize') {
			// The holder "consents": redirect back with a one-time code and the state.
			const code = `code-${codes.size + 1}`
			codes.set(code, url.searchParams.get('redirect_uri') ?? '')
			const back = new URL(url.searchParams.get('redirect_uri') ?? '')
			back.searchParams.set('code', code)
			back.searchParams.set('state', url.searchParams.get('state') ?? '')
			response.writeHead(302, { location: back.toString() }).end()
			return
		}
		if (url.pathname === '/token') {
			const expected = `Basic ${Buffer.from(`${CLIENT.id}:${CLIENT.secret}`).toString('base64')}`
			if (request.headers.authorization !== expected) return reply(401, { error: 'invalid_client' })
			const form = new URLSearchParams(await body(request))
			if (form.get('grant_type') === 'authorization_code') {
				const redirect = codes.get(form.get('code') ?? '')
				codes.delete(form.get('code') ?? '')
				if (redirect === undefined || redirect !== form.get('redirect_uri')) return reply(400, { error: 'invalid_grant' })
				stats.exchanges++
				return reply(200, issue())
			}
			if (form.get('grant_type') === 'refresh_token') {
				if (form.get('scope') !== 'saldo.read') return reply(400, { error: 'invalid_scope', error_description: 'scope is required on refresh' })
				if (!liveRefreshTokens.delete(form.get('refresh_token') ?? '')) {
					stats.invalidGrant++
					return reply(400, { error: 'invalid_grant', error_description: 'refresh token reused' })
				}
				stats.refreshes++
				return reply(200, issue())
			}
			return reply(400, { error: 'unsupported_grant_type' })
		}
		if (url.pathname === '/api/saldo') {
			const token = request.headers.authorization?.replace(/^Bearer /, '') ?? ''
			const expiresAt = accessTokens.get(token)
			if (expiresAt === undefined || expiresAt <= Date.now()) return reply(401, { error: 'invalid_token' })
			return reply(200, { saldo: 42 })
		}
		reply(404, {})
	})
	return { server, stats, liveRefreshTokens }
}

function body(request: IncomingMessage): Promise<string> {
	return new Promise((resolve) => {
		let text = ''
		request.on('data', (chunk) => (text += chunk))
		request.on('end', () => resolve(text))
	})
}

describe('consent flow end to end through the axios adapter', () => {
	let server: Server
	let base: string
	let as: ReturnType<typeof authorizationServer>

	beforeAll(async () => {
		as = authorizationServer()
		server = as.server
		server.listen(0, '127.0.0.1')
		await once(server, 'listening')
		base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
	})
	afterAll(async () => {
		server.closeAllConnections()
		server.close()
	})

	it('50 concurrent requests across expiries: zero invalid_grant, one refresh per expiry, the rotated token stored', async () => {
		const store = memoryStore()
		const grants: string[] = []
		const recording: TokenStore = {
			...store,
			set: async (key: string, value: StoredTokenSet, options) => {
				await store.set(key, value, options)
				if (value.refreshToken) grants.push(value.refreshToken)
			},
		}
		const tokens = createTokenManager({
			tokenUrl: `${base}/token`,
			authorizeUrl: `${base}/authorize`,
			redirectUri: 'https://app.example.com/callback',
			clientId: CLIENT.id,
			clientSecret: CLIENT.secret,
			scope: 'saldo.read',
			refreshAhead: 0,
			expiryMargin: 150,
			store: recording,
		})

		// Consent: build the URL, "visit" it, take code and state from the redirect, exchange.
		const { url, state, codeVerifier } = await tokens.authorizationUrl({ pkce: true })
		const redirect = await fetch(url, { redirect: 'manual' })
		const callback = new URL(redirect.headers.get('location') ?? '')
		await tokens.exchangeCode({
			code: callback.searchParams.get('code') ?? '',
			state: callback.searchParams.get('state') ?? '',
			expectedState: state,
			codeVerifier,
			subject: 'account-42',
		})

		const api = withTokens(axios.create({ baseURL: `${base}/api` }), tokens)
		const waves = 3
		for (let wave = 0; wave < waves; wave++) {
			const responses = await Promise.all(Array.from({ length: 50 }, () => api.get('/saldo', { tokenwarden: { subject: 'account-42' } })))
			expect(responses.every((response) => response.status === 200)).toBe(true)
			// Let the access token expire before the next wave.
			await new Promise((resolve) => setTimeout(resolve, LIFETIME_S * 1000 + 50))
		}

		expect(as.stats.invalidGrant).toBe(0)
		expect(as.stats.exchanges).toBe(1)
		// The first wave used the exchanged token; each later wave came after one expiry: one refresh each.
		expect(as.stats.refreshes).toBe(waves - 1)
		// The store holds the rotated refresh token: the only one the server still accepts.
		expect(grants).toEqual(['refresh-1', 'refresh-2', 'refresh-3'])
		expect([...as.liveRefreshTokens]).toEqual(['refresh-3'])
		expect((await tokens.consent({ subject: 'account-42' }))?.subject).toBe('account-42')
	}, 20_000)
})

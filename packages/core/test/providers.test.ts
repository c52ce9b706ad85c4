import nock from 'nock'
import { describe, expect, it } from 'vitest'
import { createTokenManager } from '@tokenwarden/core'
import { bankly, bs2, bs2Banking, juno } from '@tokenwarden/core/providers'
import { jwt, recorder, useNock } from './helpers.ts'

useNock()

const twelveScopes = Array.from({ length: 11 }, (_, i) => `scope.${i}`)

describe('juno', () => {
	it.each([
		['sandbox', 'https://sandbox.boletobancario.com', 86_400],
		['production', 'https://api.juno.com.br', 3_600],
	] as const)('%s: Basic auth, lowercase bearer, JWT exp decides expiry', async (environment, origin, lifetime) => {
		const now = Math.floor(Date.now() / 1000)
		const endpoint = recorder(() => [200, { access_token: jwt({ exp: now + lifetime }), token_type: 'bearer', expires_in: lifetime - 1, scope: 'all' }])
		nock(origin).post('/authorization-server/oauth/token').reply(endpoint.reply)
		const options = juno({ environment, clientId: 'id', clientSecret: 'secret' })
		expect(options.rateLimit).toEqual({ limit: 10, interval: 60_000 })
		const token = await createTokenManager(options).getToken()
		expect(token).toMatchObject({ tokenType: 'Bearer', expiresAt: (now + lifetime) * 1000, scope: ['all'] })
		expect(endpoint.seen[0]?.headers.get('authorization')).toBe(`Basic ${Buffer.from('id:secret').toString('base64')}`)
		expect(endpoint.seen[0]?.form).toEqual({ grant_type: 'client_credentials' })
	})

	it('encodes Basic credentials as Juno documents them (raw id:secret), not form-urlencoded', async () => {
		// The credentials and header of Juno's own curl example.
		const endpoint = recorder(() => [200, { access_token: 'x', token_type: 'bearer', expires_in: 60 }])
		nock('https://sandbox.boletobancario.com').post('/authorization-server/oauth/token').reply(endpoint.reply)
		await createTokenManager(juno({ environment: 'sandbox', clientId: 'jE5dH1bE2A6aThDZ', clientSecret: '39irScjWZlbGBwXBP_k+EmFf7|[SMw%x' })).getToken()
		expect(endpoint.seen[0]?.headers.get('authorization')).toBe('Basic akU1ZEgxYkUyQTZhVGhEWjozOWlyU2NqV1psYkdCd1hCUF9rK0VtRmY3fFtTTXcleA==')
	})

	it('rejects an unknown environment', () => {
		expect(() => juno({ environment: 'staging' as never, clientId: 'a', clientSecret: 'b' })).toThrowError(TypeError)
	})
})

describe('bankly', () => {
	it('sends credentials in the body with the scope, and reads expires_in as a timestamp string', async () => {
		const expiresAt = Date.now() + 3_600_000
		const endpoint = recorder(() => [200, { access_token: 'opaque', token_type: 'Bearer', expires_in: new Date(expiresAt).toISOString(), scope: 'pix.read' }])
		nock('https://login.sandbox.bankly.com.br').post('/connect/token').reply(endpoint.reply)
		const tokens = createTokenManager(bankly({ environment: 'sandbox', clientId: 'id', clientSecret: 'secret', scope: 'pix.read' }))
		const token = await tokens.getToken()
		expect(Math.abs(token.expiresAt - expiresAt)).toBeLessThan(1000)
		expect(endpoint.seen[0]?.headers.get('authorization')).toBeNull()
		expect(endpoint.seen[0]?.form).toEqual({ grant_type: 'client_credentials', client_id: 'id', client_secret: 'secret', scope: 'pix.read' })
	})

	it('rejects more than 10 scopes before any request, in the preset and per request', async () => {
		const endpoint = recorder()
		nock('https://login.bankly.com.br').post('/connect/token').reply(endpoint.reply)
		expect(() => bankly({ environment: 'production', clientId: 'id', clientSecret: 's', scope: twelveScopes })).toThrowError(/at most 10 scopes/)
		const tokens = createTokenManager(bankly({ environment: 'production', clientId: 'id', clientSecret: 's', scope: 'a' }))
		await expect(tokens.getToken({ scope: twelveScopes })).rejects.toThrowError(/at most 10 scopes per token/)
		expect(endpoint.count()).toBe(0)
	})

	it('requires a scope', () => {
		expect(() => bankly({ environment: 'sandbox', clientId: 'id', clientSecret: 's', scope: '' })).toThrowError(/needs scope/)
	})

	it('uses the mutual TLS endpoint with tls_client_auth when given a certificate and no secret', () => {
		const options = bankly({ environment: 'production', clientId: 'id', scope: 'a', tls: { cert: 'c', key: 'k' } })
		expect(options).toMatchObject({ tokenUrl: 'https://auth-mtls.bankly.com.br/oauth2/token', clientAuth: 'tls_client_auth' })
		expect(bankly({ environment: 'sandbox', clientId: 'id', scope: 'a', tls: { cert: 'c', key: 'k' } }).tokenUrl).toBe('https://auth-mtls.sandbox.bankly.com.br/oauth2/token')
	})
})

describe('bs2', () => {
	it('homologation: Basic auth and scope, no refresh ahead (a new token invalidates the old one), at most 8 token requests a minute', async () => {
		const endpoint = recorder(() => [200, { access_token: 'uuid-token', token_type: 'Bearer', expires_in: 420, scope: 'cob.read cob.write' }])
		nock('https://apihmz.bancobonsucesso.com.br').post('/auth/oauth/v2/token').reply(endpoint.reply)
		const options = bs2({ environment: 'homologation', clientId: 'id', clientSecret: 'secret', scope: ['cob.write', 'cob.read'] })
		expect(options).toMatchObject({ refreshAhead: 0, rateLimit: { limit: 8, interval: 60_000 } })
		const token = await createTokenManager(options).getToken()
		expect(token.scope).toEqual(['cob.read', 'cob.write'])
		expect(endpoint.seen[0]?.form).toEqual({ grant_type: 'client_credentials', scope: 'cob.read cob.write' })
		expect(endpoint.seen[0]?.headers.get('authorization')).toMatch(/^Basic /)
	})

	it("sends 'Basic ' + base64(clientId:secretKey) unencoded, as BS2 documents", async () => {
		const endpoint = recorder(() => [200, { access_token: 'x', token_type: 'Bearer', expires_in: 300 }])
		nock('https://apihmz.bancobonsucesso.com.br').post('/auth/oauth/v2/token').reply(endpoint.reply)
		await createTokenManager(bs2({ environment: 'homologation', clientId: 'id', clientSecret: 'a+b/c=', scope: 'cob.read' })).getToken()
		expect(endpoint.seen[0]?.headers.get('authorization')).toBe(`Basic ${Buffer.from('id:a+b/c=').toString('base64')}`)
	})

	it('production needs tokenUrl: the host is not published', () => {
		expect(() => bs2({ environment: 'production', clientId: 'id', clientSecret: 's', scope: 'a' })).toThrowError(/does not publish its production tokenUrl/)
		expect(bs2({ environment: 'production', clientId: 'id', clientSecret: 's', scope: 'a', tokenUrl: 'https://bs2.example/auth/oauth/v2/token' }).tokenUrl).toBe(
			'https://bs2.example/auth/oauth/v2/token',
		)
	})

	it('bs2Banking: consent flow settings with 30-day rotating refresh tokens and the scope sent on refresh', async () => {
		const options = bs2Banking({ environment: 'sandbox', clientId: 'id', clientSecret: 's', scope: 'saldo', redirectUri: 'https://app.example/cb' })
		expect(options).toMatchObject({
			authorizeUrl: 'https://apihmz.bancobonsucesso.com.br/api-banking/auth/oauth/v2/authorize',
			tokenUrl: 'https://apihmz.bancobonsucesso.com.br/auth/oauth/v2/token',
			refreshTokenLifetime: 30 * 24 * 60 * 60 * 1000,
			scopeOnRefresh: true,
			clientAuth: 'client_secret_basic',
		})
		const { url } = await createTokenManager(options).authorizationUrl()
		expect(new URL(url).searchParams.get('scope')).toBe('saldo')
		expect(() => bs2Banking({ environment: 'production', clientId: 'id', clientSecret: 's', scope: 'a', redirectUri: 'x', tokenUrl: 'https://t.example/t' })).toThrowError(
			/authorizeUrl/,
		)
	})
})

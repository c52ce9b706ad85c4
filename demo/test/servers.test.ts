// The imitations enforce what the tour's expectations rely on: if a server did not block, throttle,
// retire or refuse, "0 blocked" and "no 401" in the demo would prove nothing.
import { afterEach, describe, expect, it } from 'vitest'
import { startApi } from '../servers/api.ts'
import { startBankly } from '../servers/bankly.ts'
import { startBs2Banking } from '../servers/bs2-banking.ts'
import { startBs2 } from '../servers/bs2.ts'
import { startJuno } from '../servers/juno.ts'
import { TokenRegistry } from '../servers/registry.ts'
import { holderApproves } from '../tour/holder.ts'

const client = { clientId: 'test-client', clientSecret: 'test-secret' }
const basic = `Basic ${Buffer.from('test-client:test-secret').toString('base64')}`
const holder = { subject: 'account-1', login: 'holder', password: 'holder-password', otp: '123456' }
const open: Array<{ close(): Promise<void> }> = []

afterEach(async () => {
	await Promise.all(open.splice(0).map((server) => server.close()))
})

async function started<T extends { close(): Promise<void> }>(starting: Promise<T>): Promise<T> {
	const server = await starting
	open.push(server)
	return server
}

async function post(url: string, form: Record<string, string>, authorization?: string): Promise<{ status: number; headers: Headers; body: Record<string, unknown> }> {
	const response = await fetch(url, {
		method: 'POST',
		headers: { 'content-type': 'application/x-www-form-urlencoded', ...(authorization ? { authorization } : {}) },
		body: new URLSearchParams(form),
	})
	return { status: response.status, headers: response.headers, body: (await response.json()) as Record<string, unknown> }
}

describe('juno imitation', () => {
	it('takes Basic credentials raw, as Juno documents them: a secret with + and % works through the juno preset', async () => {
		const { createTokenManager } = await import('@tokenwarden/core')
		const { juno } = await import('@tokenwarden/core/providers')
		const odd = { clientId: 'jE5dH1bE2A6aThDZ', clientSecret: '39irScjWZlbGBwXBP_k+EmFf7|[SMw%x' }
		const server = await started(startJuno({ ...odd, registry: new TokenRegistry(), lifetimeSeconds: 4, block: { limit: 5, window: 60_000 }, blockFor: 60_000 }))
		const tokens = createTokenManager(juno({ environment: 'sandbox', ...odd, tokenUrl: server.tokenUrl }))
		expect((await tokens.getToken()).tokenType).toBe('Bearer')
		const formEncoded = `Basic ${Buffer.from(`${odd.clientId}:${encodeURIComponent(odd.clientSecret)}`).toString('base64')}`
		expect((await post(server.tokenUrl, { grant_type: 'client_credentials' }, formEncoded)).status).toBe(401)
	})

	it('needs Basic auth, answers a lower-case bearer JWT with exp, and blocks a client that asks too often', async () => {
		const juno = await started(startJuno({ ...client, registry: new TokenRegistry(), lifetimeSeconds: 4, block: { limit: 2, window: 60_000 }, blockFor: 60_000 }))
		expect((await post(juno.tokenUrl, { grant_type: 'client_credentials' })).status).toBe(401)
		const ok = await post(juno.tokenUrl, { grant_type: 'client_credentials' }, basic)
		expect(ok.body.token_type).toBe('bearer')
		const claims = JSON.parse(Buffer.from(String(ok.body.access_token).split('.')[1] as string, 'base64url').toString())
		expect(claims.exp - claims.iat).toBe(4)
		expect((await post(juno.tokenUrl, { grant_type: 'client_credentials' }, basic)).status).toBe(200)
		expect((await post(juno.tokenUrl, { grant_type: 'client_credentials' }, basic)).body.error).toBe('access_denied')
		expect(juno.blocked()).toBe(1)
	})
})

describe('bankly imitation', () => {
	it('reads credentials from the body, requires 1 to 10 scopes, and sends expires_in as an ISO timestamp', async () => {
		const bankly = await started(startBankly({ ...client, allowedScopes: ['a', 'b'], registry: new TokenRegistry(), lifetimeSeconds: 4, maxScopes: 10 }))
		const form = { grant_type: 'client_credentials', client_id: client.clientId, client_secret: client.clientSecret }
		expect((await post(bankly.tokenUrl, { grant_type: 'client_credentials', scope: 'a' }, basic)).status).toBe(401)
		expect((await post(bankly.tokenUrl, form)).body.error).toBe('invalid_scope')
		const eleven = Array.from({ length: 11 }, (_, index) => `s${index}`).join(' ')
		expect((await post(bankly.tokenUrl, { ...form, scope: eleven })).body.error).toBe('invalid_scope')
		const ok = await post(bankly.tokenUrl, { ...form, scope: 'a b' })
		expect(ok.body.expires_in).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/)
	})
})

describe('bs2 imitation and the API', () => {
	it('retires the previous token when it issues a new one, and throttles with 429 + Retry-After', async () => {
		const registry = new TokenRegistry()
		const bs2 = await started(startBs2({ ...client, allowedScopes: ['cob.read'], registry, lifetimeSeconds: 3, throttle: { limit: 3, window: 60_000 } }))
		const api = await started(startApi(registry))
		const get = (token: unknown) => fetch(`${api.origin}/bs2/cob`, { headers: { authorization: `Bearer ${String(token)}` } })
		expect((await post(bs2.tokenUrl, { grant_type: 'client_credentials' }, basic)).body.error).toBe('invalid_scope')
		const first = await post(bs2.tokenUrl, { grant_type: 'client_credentials', scope: 'cob.read' }, basic)
		expect((await get(first.body.access_token)).status).toBe(200)
		const second = await post(bs2.tokenUrl, { grant_type: 'client_credentials', scope: 'cob.read' }, basic)
		const retired = await get(first.body.access_token)
		expect(retired.status).toBe(401)
		expect(retired.headers.get('www-authenticate')).toContain('error="invalid_token"')
		expect((await get(second.body.access_token)).status).toBe(200)
		const throttled = await post(bs2.tokenUrl, { grant_type: 'client_credentials', scope: 'cob.read' }, basic)
		expect(throttled.status).toBe(429)
		expect(Number(throttled.headers.get('retry-after'))).toBeGreaterThan(0)
	})

	it('answers 503 with Retry-After during an outage, and the API refuses expired and missing tokens', async () => {
		const registry = new TokenRegistry()
		const bs2 = await started(startBs2({ ...client, allowedScopes: ['cob.read'], registry, lifetimeSeconds: 3, throttle: { limit: 10, window: 60_000 } }))
		const api = await started(startApi(registry))
		bs2.log.startOutage(60_000, 1)
		const down = await post(bs2.tokenUrl, { grant_type: 'client_credentials', scope: 'cob.read' }, basic)
		expect([down.status, down.headers.get('retry-after')]).toEqual([503, '1'])
		registry.issue('expired-token', { provider: 'bs2', clientId: client.clientId, scope: ['cob.read'], expiresAt: Date.now() - 1 })
		const expired = await fetch(`${api.origin}/bs2/cob`, { headers: { authorization: 'Bearer expired-token' } })
		expect(await expired.json()).toEqual({ error: 'invalid_token', reason: 'expired' })
		expect((await fetch(`${api.origin}/bs2/cob`)).status).toBe(401)
	})
})

describe('bs2 api-banking imitation', () => {
	it('consent, then rotating refresh tokens: scope required, a spent or withdrawn one is invalid_grant', async () => {
		const registry = new TokenRegistry()
		const redirectUri = 'http://127.0.0.1:9/callback'
		const banking = await started(
			startBs2Banking({
				...client,
				redirectUris: [redirectUri],
				allowedScopes: ['saldo.read'],
				holder,
				registry,
				lifetimeSeconds: 3,
				throttle: { limit: 20, window: 60_000 },
				codeLifetime: 60_000,
			}),
		)
		const authorize = new URL(banking.authorizeUrl)
		for (const [name, value] of Object.entries({ response_type: 'code', client_id: client.clientId, redirect_uri: redirectUri, scope: 'saldo.read', state: 's1' })) {
			authorize.searchParams.set(name, value)
		}
		const { redirect } = await holderApproves(authorize.href, holder)
		expect(redirect.searchParams.get('state')).toBe('s1')
		const exchanged = await post(banking.tokenUrl, { grant_type: 'authorization_code', code: redirect.searchParams.get('code') ?? '', redirect_uri: redirectUri }, basic)
		const first = String(exchanged.body.refresh_token)
		expect((await post(banking.tokenUrl, { grant_type: 'refresh_token', refresh_token: first }, basic)).body.error).toBe('invalid_request')
		const rotated = await post(banking.tokenUrl, { grant_type: 'refresh_token', refresh_token: first, scope: 'saldo.read' }, basic)
		expect(rotated.body.refresh_token).not.toBe(first)
		expect((await post(banking.tokenUrl, { grant_type: 'refresh_token', refresh_token: first, scope: 'saldo.read' }, basic)).body.error).toBe('invalid_grant')
		expect(banking.refreshReuses()).toBe(1)
		banking.withdrawConsent(holder.subject)
		const withdrawn = await post(banking.tokenUrl, { grant_type: 'refresh_token', refresh_token: String(rotated.body.refresh_token), scope: 'saldo.read' }, basic)
		expect(withdrawn.body.error).toBe('invalid_grant')
	})
})

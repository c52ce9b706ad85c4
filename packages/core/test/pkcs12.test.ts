import { createHash, X509Certificate } from 'node:crypto'
import { inspect } from 'node:util'
import { fetch as undiciFetch } from 'undici'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createMtlsAgents, createTokenManager, memoryStore, type TlsOptions, type TokenManagerOptions } from '@tokenwarden/core'
import { generateCertificates, type TestCertificates } from './fixtures/certificates.ts'
import { type HttpsEndpoint, startHttpsEndpoint } from './fixtures/https-endpoint.ts'
import { generatePkcs12, type Pkcs12Bundles } from './fixtures/pkcs12.ts'

let certs: TestCertificates
let p12: Pkcs12Bundles
let endpoint: HttpsEndpoint
/** access token -> thumbprint of the certificate it was issued to (RFC 8705 §3). */
const boundTo = new Map<string, string>()

const thumbprintOf = (pem: string) => createHash('sha256').update(new X509Certificate(pem).raw).digest('base64url')

beforeAll(async () => {
	certs = generateCertificates()
	p12 = generatePkcs12({ client: certs.client, expired: certs.expired })
	endpoint = await startHttpsEndpoint(certs, {
		mutualTls: true,
		handle: (request) => {
			const thumbprint = request.certificate?.thumbprint ?? ''
			if (request.url.pathname === '/token') {
				const accessToken = `at-${endpoint.seen.length}`
				boundTo.set(accessToken, thumbprint)
				return [200, { access_token: accessToken, token_type: 'Bearer', expires_in: 3600, cnf: { 'x5t#S256': thumbprint } }]
			}
			const token = String(request.headers.authorization).replace(/^Bearer /, '')
			return boundTo.get(token) === thumbprint ? [200, { ok: true, client: request.certificate?.subject }] : [401, { error: 'invalid_token' }]
		},
	})
})

afterAll(() => endpoint?.close())

function manager(tls: TlsOptions, overrides: Partial<TokenManagerOptions> = {}) {
	return createTokenManager({ tokenUrl: `${endpoint.origin}/token`, clientId: 'client-1', clientAuth: 'tls_client_auth', tls, retry: 0, ...overrides } as TokenManagerOptions)
}

describe('PKCS#12 client certificates (tls.pfx)', () => {
	it('a good bundle as a Buffer, a plain Uint8Array or without a passphrase presents the certificate on the token endpoint', async () => {
		const before = endpoint.seen.length
		await manager({ pfx: p12.good, passphrase: p12.passphrase, ca: certs.ca.cert }).getToken()
		await manager({ pfx: new Uint8Array(p12.good), passphrase: p12.passphrase, ca: certs.ca.cert }).getToken()
		await manager({ pfx: p12.unencrypted, ca: certs.ca.cert }).getToken()
		const seen = endpoint.seen.slice(before)
		expect(seen.map((request) => request.certificate)).toEqual(Array(3).fill({ subject: 'client-1', thumbprint: thumbprintOf(certs.client.cert) }))
		expect(seen.map((request) => request.form)).toEqual(Array(3).fill({ grant_type: 'client_credentials', client_id: 'client-1' }))
	})

	it('createMtlsAgents from the same bundle calls the API with the certificate the token is bound to', async () => {
		const tls = { pfx: new Uint8Array(p12.good), passphrase: p12.passphrase, ca: certs.ca.cert }
		const token = await manager(tls).getToken()
		const agents = createMtlsAgents(tls)
		expect(agents.thumbprint).toBe(thumbprintOf(certs.client.cert))
		const response = await undiciFetch(`${endpoint.origin}/api`, { dispatcher: agents.dispatcher, headers: { authorization: `Bearer ${token.accessToken}` } })
		expect(await response.json()).toEqual({ ok: true, client: 'client-1' })
		const viaFetch = await agents.fetch(`${endpoint.origin}/api`, { headers: { authorization: `Bearer ${token.accessToken}` } })
		expect(viaFetch.status).toBe(200)
		agents.httpsAgent.destroy()
		await agents.dispatcher.close()
	})

	it('binds tokens to the bundle certificate: a shared store entry from a PEM manager with the same certificate is adopted, one from another is not', async () => {
		const store = memoryStore()
		const before = endpoint.seen.length
		const fromPem = await manager({ cert: certs.client.cert, key: certs.client.key, ca: certs.ca.cert }, { store }).getToken()
		await expect(manager({ pfx: p12.good, passphrase: p12.passphrase, ca: certs.ca.cert }, { store }).getToken()).resolves.toMatchObject({
			accessToken: fromPem.accessToken,
		})
		expect(endpoint.seen.length - before).toBe(1)
		const other = await manager({ cert: certs.client2.cert, key: certs.client2.key, ca: certs.ca.cert }, { store }).getToken()
		expect(other.accessToken).not.toBe(fromPem.accessToken)
		expect(endpoint.seen.length - before).toBe(2)
	})
})

describe('PKCS#12 problems are a TypeError at creation, without key material or passphrase', () => {
	const cases: Array<[string, () => TlsOptions, RegExp]> = [
		['a wrong passphrase', () => ({ pfx: p12.good, passphrase: 'not the passphrase' }), /wrong or missing passphrase/],
		['a missing passphrase', () => ({ pfx: p12.good }), /wrong or missing passphrase/],
		['a bundle without the private key', () => ({ pfx: p12.withoutKey, passphrase: p12.passphrase }), /tls\.pfx holds no private key/],
		['an expired certificate', () => ({ pfx: p12.expired, passphrase: p12.passphrase }), /certificate expired on/],
		['bytes that are not PKCS#12', () => ({ pfx: Buffer.from(certs.client.cert) }), /tls\.pfx is not a PKCS#12 file/],
		['a pfx that is neither bytes nor a string', () => ({ pfx: 42 as never }), /expected tls\.pfx to be PKCS#12 bytes .* got number/],
	]

	it.each(cases)('%s', (_name, tls, message) => {
		for (const create of [() => manager(tls()), () => createMtlsAgents(tls())]) {
			let error: unknown
			try {
				create()
			} catch (caught) {
				error = caught
			}
			expect(error).toBeInstanceOf(TypeError)
			expect((error as Error).message).toMatch(/^tokenwarden: /)
			expect((error as Error).message).toMatch(message)
			const text = `${inspect(error, { depth: 5 })} ${JSON.stringify(error)}`
			expect(text).not.toContain(p12.passphrase)
			for (const bundle of [p12.good, p12.expired, p12.withoutKey]) expect(text).not.toContain(bundle.toString('base64').slice(100, 160))
			const keyLine = certs.client.key.trim().split('\n')[1] as string
			expect(text).not.toContain(keyLine)
		}
	})
})

import { createHash, X509Certificate } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { createServer, type Server } from 'node:https'
import type { AddressInfo } from 'node:net'
import type { TLSSocket } from 'node:tls'
import { inspect } from 'node:util'
import axios from 'axios'
import ky from 'ky'
import { fetch as undiciFetch } from 'undici'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import {
	createMtlsAgents,
	createTokenManager,
	memoryStore,
	type StoredTokenSet,
	type TokenManagerOptions,
	type TokenStore,
	TokenEndpointError,
	type TokenWardenEvent,
} from '@tokenwarden/core'
import { generateCertificates, type TestCertificates } from './fixtures/certificates.ts'

const CLIENT_ID = 'client-1'

let certs: TestCertificates
let server: Server
let base: string

/** What the token endpoint saw of each request. */
interface SeenTokenRequest {
	form: Record<string, string>
	authorization: string | undefined
	/** Subject CN and x5t#S256 of the certificate the client presented. */
	subject: string
	thumbprint: string
}
let seen: SeenTokenRequest[] = []
/** access token -> thumbprint of the certificate it was issued to (the resource server's view of cnf). */
const boundTo = new Map<string, string>()
/** Set by a test: what the token endpoint does with a request. */
let tokenHandler: ((request: IncomingMessage, response: ServerResponse, count: number) => boolean) | undefined

function thumbprintOf(pem: string): string {
	return createHash('sha256').update(new X509Certificate(pem).raw).digest('base64url')
}

function json(response: ServerResponse, status: number, body: unknown): void {
	response.writeHead(status, { 'content-type': 'application/json' })
	response.end(JSON.stringify(body))
}

async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
	const peer = (request.socket as TLSSocket).getPeerCertificate()
	const thumbprint = createHash('sha256').update(peer.raw).digest('base64url')
	if (request.method === 'POST' && request.url === '/token') {
		let text = ''
		for await (const chunk of request) text += chunk
		const form = Object.fromEntries(new URLSearchParams(text))
		seen.push({ form, authorization: request.headers.authorization, subject: String(peer.subject?.CN), thumbprint })
		if (tokenHandler?.(request, response, seen.length)) return
		// RFC 8705 §2: client_id in the body identifies the client, the certificate authenticates it.
		if (form.client_id !== CLIENT_ID || form.client_secret !== undefined || request.headers.authorization !== undefined) {
			json(response, 401, { error: 'invalid_client' })
			return
		}
		const accessToken = `at-${seen.length}-${peer.subject?.CN}`
		boundTo.set(accessToken, thumbprint)
		json(response, 200, { access_token: accessToken, token_type: 'Bearer', expires_in: 3600, cnf: { 'x5t#S256': thumbprint } })
		return
	}
	if (request.method === 'GET' && request.url === '/api/resource') {
		// RFC 8705 §3: a certificate-bound token is only accepted with the certificate it was issued to.
		const token = request.headers.authorization?.replace(/^Bearer /, '') ?? ''
		if (boundTo.get(token) !== thumbprint) {
			json(response, 401, { error: 'invalid_token' })
			return
		}
		json(response, 200, { ok: true, client: peer.subject?.CN })
		return
	}
	json(response, 404, {})
}

beforeAll(async () => {
	certs = generateCertificates()
	server = createServer(
		{
			key: certs.server.key,
			cert: certs.server.cert,
			// The self-signed client certificate is registered by trusting it directly (RFC 8705 §2.2).
			ca: [certs.ca.cert, certs.selfSigned.cert],
			requestCert: true,
			rejectUnauthorized: true,
		},
		(request, response) => {
			handle(request, response).catch(() => response.destroy())
		},
	)
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
	base = `https://127.0.0.1:${(server.address() as AddressInfo).port}`
})

afterAll(async () => {
	server.closeAllConnections()
	await new Promise((resolve) => server.close(resolve))
})

beforeEach(() => {
	seen = []
	tokenHandler = undefined
})

function manager(overrides: Partial<TokenManagerOptions> = {}) {
	const events: TokenWardenEvent[] = []
	const tokens = createTokenManager({
		tokenUrl: `${base}/token`,
		clientId: CLIENT_ID,
		clientAuth: 'tls_client_auth',
		tls: { cert: certs.client.cert, key: certs.client.key, ca: certs.ca.cert },
		retry: { limit: 2, delay: 1, maxDelay: 5 },
		onEvent: (event) => events.push(event),
		...overrides,
	} as TokenManagerOptions)
	return { tokens, events }
}

/** A memoryStore that also remembers what was written, to look at the stored entries. */
function recordingStore(): TokenStore & { written: StoredTokenSet[] } {
	const inner = memoryStore()
	const written: StoredTokenSet[] = []
	return {
		written,
		get: (key) => inner.get(key),
		set: (key, value, options) => {
			written.push(value)
			return inner.set(key, value, options)
		},
		delete: (key) => inner.delete(key),
		compareAndDelete: (key, accessToken) => inner.compareAndDelete(key, accessToken),
	}
}

function keyBody(pem: string): string {
	// A line from the middle of the base64 body: what a leak of the key would contain.
	const lines = pem.trim().split('\n')
	return lines[Math.floor(lines.length / 2)] as string
}

describe('mutual TLS at the token endpoint (tls_client_auth, RFC 8705 §2)', () => {
	it('obtains a token with the client certificate: client_id in the body, no secret', async () => {
		const { tokens } = manager()
		const token = await tokens.getToken()
		expect(token.accessToken).toBe('at-1-client-1')
		expect(seen).toHaveLength(1)
		expect(seen[0]?.subject).toBe('client-1')
		expect(seen[0]?.form).toEqual({ grant_type: 'client_credentials', client_id: CLIENT_ID })
		expect(seen[0]?.authorization).toBeUndefined()
	})

	it('accepts the certificate as PKCS#12 with a passphrase, and a PEM key encrypted with one', async () => {
		const fromPfx = manager({ tls: { pfx: certs.pfx, passphrase: certs.passphrase, ca: certs.ca.cert } })
		await expect(fromPfx.tokens.getToken()).resolves.toMatchObject({ accessToken: 'at-1-client-1' })
		const base64Pfx = manager({ tls: { pfx: certs.pfx.toString('base64'), passphrase: certs.passphrase, ca: certs.ca.cert } })
		await expect(base64Pfx.tokens.getToken()).resolves.toMatchObject({ accessToken: 'at-2-client-1' })
		const encrypted = manager({ tls: { cert: certs.client.cert, key: certs.encryptedKey, passphrase: certs.passphrase, ca: [certs.ca.cert] } })
		await expect(encrypted.tokens.getToken()).resolves.toMatchObject({ accessToken: 'at-3-client-1' })
		expect(seen.map((request) => request.thumbprint)).toEqual(Array(3).fill(thumbprintOf(certs.client.cert)))
		expect(createMtlsAgents({ pfx: certs.pfx, passphrase: certs.passphrase }).thumbprint).toBe(thumbprintOf(certs.client.cert))
	})

	it('self_signed_tls_client_auth presents a self-signed certificate the same way', async () => {
		const { tokens } = manager({ clientAuth: 'self_signed_tls_client_auth', tls: { ...certs.selfSigned, ca: certs.ca.cert } })
		await expect(tokens.getToken()).resolves.toMatchObject({ accessToken: 'at-1-client-1' })
		expect(seen[0]?.thumbprint).toBe(thumbprintOf(certs.selfSigned.cert))
		expect(seen[0]?.form).toEqual({ grant_type: 'client_credentials', client_id: CLIENT_ID })
	})

	it('without a client certificate: a TokenEndpointError naming the TLS alert, not retried', async () => {
		// `ca` alone trusts the test CA without presenting a certificate; the server requires one.
		const { tokens, events } = manager({ clientAuth: 'none', tls: { ca: certs.ca.cert } })
		const error = await tokens.getToken().catch((caught: unknown) => caught)
		expect(error).toBeInstanceOf(TokenEndpointError)
		expect((error as TokenEndpointError).message).toMatch(/TLS handshake .* failed \(ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED\)/)
		expect(((error as TokenEndpointError).cause as Error).message).toContain('it requires a client certificate')
		expect((error as TokenEndpointError).attempts).toBe(1)
		expect(events.filter((event) => event.type === 'retry')).toEqual([])
		expect(seen).toEqual([])
	})

	it('with a certificate from another CA: a TokenEndpointError naming the TLS problem, not retried, no key material', async () => {
		const { tokens, events } = manager({ tls: { ...certs.otherClient, ca: certs.ca.cert } })
		const error = await tokens.getToken().catch((caught: unknown) => caught)
		expect(error).toBeInstanceOf(TokenEndpointError)
		expect((error as TokenEndpointError).message).toMatch(/TLS handshake .* failed \(ERR_TLS_PEER_CLOSED_AFTER_HANDSHAKE\): check the client certificate/)
		expect(((error as TokenEndpointError).cause as Error).message).toContain('rejected the client certificate')
		expect((error as TokenEndpointError).attempts).toBe(1)
		expect(events.filter((event) => event.type === 'retry')).toEqual([])
		expect(seen).toEqual([])
		const everything = `${inspect(error, { depth: 5 })} ${JSON.stringify(error)}`
		expect(everything).not.toContain(keyBody(certs.otherClient.key))
	})

	it('a server certificate the configured ca does not vouch for: a TokenEndpointError, not retried', async () => {
		const { tokens, events } = manager({ tls: { ...certs.client, ca: certs.otherCa.cert } })
		const error = await tokens.getToken().catch((caught: unknown) => caught)
		expect(error).toBeInstanceOf(TokenEndpointError)
		expect((error as TokenEndpointError).message).toMatch(
			/TLS handshake .* failed \((UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_GET_ISSUER_CERT_LOCALLY)\)/,
		)
		expect((error as TokenEndpointError).attempts).toBe(1)
		expect(events.filter((event) => event.type === 'retry')).toEqual([])
	})

	it('still retries when the server drops a connection after it has accepted the certificate once', async () => {
		tokenHandler = (request, _response, count) => {
			// Whether on the kept-alive connection or a new one, the server has answered this certificate before.
			if (count !== 2) return false
			request.socket.destroy()
			return true
		}
		const { tokens, events } = manager()
		await tokens.getToken()
		const second = await tokens.getToken({ forceRefresh: true })
		expect(second.accessToken).toBe('at-3-client-1')
		expect(events.filter((event) => event.type === 'retry')).toMatchObject([{ type: 'retry', attempt: 1, reason: 'network' }])
	})
})

describe('certificate-bound tokens (RFC 8705 §3)', () => {
	it('keeps the cnf x5t#S256 thumbprint, equal to the SHA-256 of the client certificate', async () => {
		const store = recordingStore()
		const { tokens } = manager({ store })
		await tokens.getToken()
		const expected = thumbprintOf(certs.client.cert)
		expect(seen[0]?.thumbprint).toBe(expected)
		expect(store.written).toMatchObject([{ accessToken: 'at-1-client-1', certificateThumbprint: expected }])
		expect(createMtlsAgents({ cert: certs.client.cert, key: certs.client.key }).thumbprint).toBe(expected)
	})

	it('a shared store entry bound to another certificate is not handed out', async () => {
		const store = memoryStore()
		const first = manager({ store })
		const boundToFirst = await first.tokens.getToken()
		// Same client, same certificate, same store: the stored token is adopted without a request.
		const sameCertificate = manager({ store })
		await expect(sameCertificate.tokens.getToken()).resolves.toMatchObject({ accessToken: boundToFirst.accessToken })
		expect(seen).toHaveLength(1)
		// Same client and store, another certificate: the bound token would be refused, so a new one is requested.
		const other = manager({ store, tls: { ...certs.client2, ca: certs.ca.cert } })
		const own = await other.tokens.getToken()
		expect(own.accessToken).not.toBe(boundToFirst.accessToken)
		expect(seen).toHaveLength(2)
		expect(seen[1]?.thumbprint).toBe(thumbprintOf(certs.client2.cert))
		expect(boundTo.get(own.accessToken)).toBe(thumbprintOf(certs.client2.cert))
	})
})

describe('createMtlsAgents for API calls with the same certificate', () => {
	let agents: ReturnType<typeof createMtlsAgents>
	let accessToken: string
	beforeAll(async () => {
		const tls = { cert: certs.client.cert, key: certs.client.key, ca: certs.ca.cert }
		agents = createMtlsAgents(tls)
		accessToken = (await manager({ tls }).tokens.getToken()).accessToken
	})
	afterAll(async () => {
		agents.httpsAgent.destroy()
		await agents.dispatcher.close()
	})

	it('axios: httpsAgent presents the certificate the token is bound to', async () => {
		const api = axios.create({ baseURL: base, httpsAgent: agents.httpsAgent })
		const response = await api.get('/api/resource', { headers: { authorization: `Bearer ${accessToken}` } })
		expect(response.data).toEqual({ ok: true, client: 'client-1' })
	})

	it('ky: the fetch option presents the certificate (ky passes a Request)', async () => {
		const api = ky.create({ baseUrl: base, fetch: agents.fetch })
		const body = await api.get('api/resource', { headers: { authorization: `Bearer ${accessToken}` } }).json()
		expect(body).toEqual({ ok: true, client: 'client-1' })
	})

	it("undici's fetch with the dispatcher", async () => {
		const response = await undiciFetch(`${base}/api/resource`, { dispatcher: agents.dispatcher, headers: { authorization: `Bearer ${accessToken}` } })
		expect(await response.json()).toEqual({ ok: true, client: 'client-1' })
	})

	it('another certificate cannot use the bound token', async () => {
		const others = createMtlsAgents({ ...certs.client2, ca: certs.ca.cert })
		const response = await axios.get(`${base}/api/resource`, {
			httpsAgent: others.httpsAgent,
			headers: { authorization: `Bearer ${accessToken}` },
			validateStatus: () => true,
		})
		expect(response.status).toBe(401)
		others.httpsAgent.destroy()
		await others.dispatcher.close()
	})
})

describe('certificate and key problems are a TypeError at construction, without key material', () => {
	const cases: Array<[string, () => TokenManagerOptions['tls'], RegExp]> = [
		['a certificate that is not PEM', () => ({ cert: 'not a certificate', key: certs.client.key }), /tls\.cert is not a PEM certificate/],
		['a key that is not PEM', () => ({ cert: certs.client.cert, key: certs.client.cert }), /tls\.key is not a PEM private key/],
		['a key that does not match the certificate', () => ({ cert: certs.client.cert, key: certs.client2.key }), /private key does not match the certificate/],
		['an expired certificate', () => ({ ...certs.expired }), /certificate expired on/],
		['a wrong passphrase', () => ({ cert: certs.client.cert, key: certs.encryptedKey, passphrase: 'wrong' }), /wrong or missing passphrase/],
		['a missing passphrase', () => ({ cert: certs.client.cert, key: certs.encryptedKey }), /wrong or missing passphrase/],
		['a PKCS#12 file with a wrong passphrase', () => ({ pfx: certs.pfx, passphrase: 'wrong' }), /wrong or missing passphrase/],
		['an RSA key under 2048 bits', () => ({ ...certs.smallRsa }), /1024-bit RSA key; at least 2048/],
		['an EC curve TLS does not sign with', () => ({ ...certs.wrongCurve }), /EC curve secp256k1/],
		['a certificate without its key', () => ({ cert: certs.client.cert }), /needs both cert and key/],
		['a ca that is not a certificate', () => ({ ...certs.client, ca: 'not a certificate' }), /tls\.ca is not a PEM certificate/],
	]

	it.each(cases)('%s', (_name, tls, message) => {
		const options = { tokenUrl: `${base}/token`, clientId: CLIENT_ID, clientAuth: 'tls_client_auth', tls: tls() } as TokenManagerOptions
		let error: unknown
		try {
			createTokenManager(options)
		} catch (caught) {
			error = caught
		}
		expect(error).toBeInstanceOf(TypeError)
		expect((error as Error).message).toMatch(/^tokenwarden: /)
		expect((error as Error).message).toMatch(message)
		const text = `${(error as Error).message} ${inspect(error)}`
		for (const pem of [certs.client.key, certs.client2.key, certs.encryptedKey, certs.expired.key, certs.smallRsa.key]) expect(text).not.toContain(keyBody(pem))
		expect(text).not.toContain(certs.passphrase)
		// createMtlsAgents runs the same checks.
		expect(() => createMtlsAgents(options.tls as NonNullable<TokenManagerOptions['tls']>)).toThrow(message)
	})

	it('tls_client_auth needs a client certificate, not just a CA', () => {
		expect(() => createTokenManager({ tokenUrl: `${base}/token`, clientId: CLIENT_ID, clientAuth: 'tls_client_auth', tls: { ca: certs.ca.cert } })).toThrow(
			/tokenwarden: tls_client_auth needs a client certificate/,
		)
		expect(() => createTokenManager({ tokenUrl: `${base}/token`, clientId: CLIENT_ID, clientAuth: 'tls_client_auth' } as TokenManagerOptions)).toThrow(
			/tokenwarden: expected tls to be a client certificate for tls_client_auth/,
		)
	})
})

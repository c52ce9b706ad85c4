import { createHash, X509Certificate } from 'node:crypto'
import { Agent as HttpsAgent } from 'node:https'
import { createSecureContext } from 'node:tls'
import { Agent, fetch as undiciFetch } from 'undici'
import type { FetchLike, TlsOptions } from './types/options.js'

/** Ready-made clients for mutual TLS with one certificate: for the token endpoint and for API calls. */
export interface MtlsAgents {
	/** undici dispatcher: pass as `dispatcher` to undici's fetch (ky: `fetch: agents.fetch`, or `dispatcher`). */
	dispatcher: Agent
	/** Node `https.Agent`: pass as axios `httpsAgent`. */
	httpsAgent: HttpsAgent
	/** A fetch that always presents the certificate (undici's fetch bound to `dispatcher`). */
	fetch: typeof globalThis.fetch
	/** `x5t#S256` of the client certificate, when given as PEM ([RFC 8705 §3.1](https://www.rfc-editor.org/rfc/rfc8705#section-3.1)). */
	thumbprint: string | undefined
}

/**
 * Checks a client certificate configuration and builds the agents for it. Bad PEM, a key that does
 * not match the certificate, a wrong passphrase or an expired certificate is a TypeError here, and the
 * message never quotes key material.
 */
export function createMtlsAgents(tls: TlsOptions, now: number = Date.now()): MtlsAgents {
	const connect = checkTlsOptions(tls, now)
	const dispatcher = new Agent({ connect })
	const httpsAgent = new HttpsAgent({ ...connect, keepAlive: true })
	const fetch = ((input: string | URL | Request, init?: RequestInit) =>
		undiciFetch(input as string, { ...(init as object), dispatcher } as Parameters<typeof undiciFetch>[1])) as unknown as typeof globalThis.fetch
	return { dispatcher, httpsAgent, fetch, thumbprint: thumbprintOf(tls.cert) }
}

/** The token endpoint transport for a manager with `tls`, or undefined to use plain fetch. */
export function createTransport(tls: TlsOptions | undefined): { fetch: FetchLike; thumbprint: string | undefined } | undefined {
	if (tls === undefined) return undefined
	const agents = createMtlsAgents(tls)
	return { fetch: agents.fetch as FetchLike, thumbprint: agents.thumbprint }
}

type ConnectOptions = Pick<TlsOptions, 'cert' | 'key' | 'pfx' | 'passphrase'> & { ca?: string | Buffer | Array<string | Buffer> }

function checkTlsOptions(tls: TlsOptions, now: number): ConnectOptions {
	if (typeof tls !== 'object' || tls === null) throw new TypeError('tokenwarden: tls must be an object with cert and key, or pfx')
	if (tls.pfx === undefined && (tls.cert === undefined || tls.key === undefined)) {
		throw new TypeError('tokenwarden: tls needs both cert and key (PEM), or pfx')
	}
	const connect: ConnectOptions = {}
	if (tls.cert !== undefined) connect.cert = tls.cert
	if (tls.key !== undefined) connect.key = tls.key
	if (tls.pfx !== undefined) connect.pfx = typeof tls.pfx === 'string' ? Buffer.from(tls.pfx, 'base64') : tls.pfx
	if (tls.passphrase !== undefined) connect.passphrase = tls.passphrase
	if (tls.ca !== undefined) connect.ca = Array.isArray(tls.ca) ? [...tls.ca] : (tls.ca as string | Buffer)
	try {
		createSecureContext(connect)
	} catch (error) {
		throw new TypeError(`tokenwarden: tls client certificate or key is unusable: ${describeTlsError(error)}`)
	}
	if (tls.cert !== undefined) {
		let certificate: X509Certificate
		try {
			certificate = new X509Certificate(tls.cert)
		} catch {
			throw new TypeError('tokenwarden: tls.cert is not a PEM certificate')
		}
		if (Date.parse(certificate.validTo) <= now) throw new TypeError(`tokenwarden: tls.cert expired on ${certificate.validTo}`)
		if (Date.parse(certificate.validFrom) > now) throw new TypeError(`tokenwarden: tls.cert is not valid before ${certificate.validFrom}`)
	}
	return connect
}

/** OpenSSL's reason, without anything from the input. */
function describeTlsError(error: unknown): string {
	const { code, message } = error as { code?: string; message?: string }
	if (/key values mismatch/i.test(message ?? '')) return 'the private key does not match the certificate'
	if (/bad decrypt|bad password|mac verify/i.test(message ?? '')) return 'wrong passphrase'
	if (/no start line|PEM|asn1|DECODER/i.test(message ?? '')) return 'not valid PEM'
	return code ?? 'invalid certificate or key'
}

function thumbprintOf(cert: string | Buffer | undefined): string | undefined {
	if (cert === undefined) return undefined
	return createHash('sha256').update(new X509Certificate(cert).raw).digest('base64url')
}

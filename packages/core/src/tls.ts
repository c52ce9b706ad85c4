import { createHash, X509Certificate } from 'node:crypto'
import { Agent as HttpsAgent } from 'node:https'
import type { Socket } from 'node:net'
import { createSecureContext, type SecureContext, type SecureContextOptions, type TLSSocket } from 'node:tls'
import { Agent, buildConnector, fetch as undiciFetch } from 'undici'
import type { FetchLike, TlsOptions } from './types/options.js'

/** Ready-made clients for mutual TLS with one certificate: for the token endpoint and for API calls. */
export interface MtlsAgents {
	/**
	 * undici dispatcher, for `fetch` from the `undici` package (v8, the one this package depends on).
	 * Node's global `fetch` bundles another undici major and rejects it: use {@link MtlsAgents.fetch} there.
	 */
	dispatcher: Agent
	/** Node `https.Agent`: pass as axios `httpsAgent`. */
	httpsAgent: HttpsAgent
	/**
	 * A fetch that always presents the certificate: pass as ky's `fetch` option. Takes a URL or a
	 * `Request` (ky passes one), and names a rejected certificate in the error's `cause.code`.
	 */
	fetch: typeof globalThis.fetch
	/**
	 * `x5t#S256` of the client certificate: base64url SHA-256 of its DER
	 * ([RFC 8705 §3.1](https://www.rfc-editor.org/rfc/rfc8705#section-3.1)). Undefined with `ca` alone.
	 */
	thumbprint: string | undefined
}

/**
 * Code of the error when a server that has never answered this certificate closes a new connection
 * right after the TLS handshake, without a byte of answer. TLS 1.3 finishes the client's side of the
 * handshake before the server has judged its certificate, so a server that rejects it without an
 * alert (Node's own https server does this for an untrusted CA) looks like a plain disconnect
 * otherwise. Once the server has answered with this certificate, such a close is a network failure.
 */
const PEER_CLOSED_AFTER_HANDSHAKE = 'ERR_TLS_PEER_CLOSED_AFTER_HANDSHAKE'

/**
 * Checks a client certificate configuration and builds the agents for it: `cert` + `key` (PEM), or
 * `pfx` (PKCS#12: a Buffer, a Uint8Array or a base64 string), with `passphrase` when the key is encrypted, and `ca`
 * to trust a private CA for the server (it replaces the system roots). `ca` alone trusts a private CA
 * without presenting a certificate.
 *
 * Bad PEM, a key that does not match the certificate, a wrong passphrase, an expired certificate, an
 * RSA key under 2048 bits or an EC curve TLS does not sign with is a TypeError here, and the message
 * never quotes key material.
 *
 * @param now - epoch ms the certificate must be valid at; the real time by default.
 */
export function createMtlsAgents(tls: TlsOptions, now: number = Date.now()): MtlsAgents {
	const checked = checkTlsOptions(tls, now)
	const failures = new FailureLog()
	const connect = { secureContext: checked.secureContext }
	const dispatcher = new Agent({ connect: watchingConnector(buildConnector(connect), checked.presentsCertificate, failures) })
	const httpsAgent = new HttpsAgent({ ...connect, keepAlive: true })
	return { dispatcher, httpsAgent, fetch: boundFetch(dispatcher, failures), thumbprint: checked.thumbprint }
}

/** The token endpoint transport for a manager with `tls`, or undefined to use plain fetch. */
export function createTransport(tls: TlsOptions | undefined): { fetch: FetchLike; thumbprint: string | undefined } | undefined {
	if (tls === undefined) return undefined
	const agents = createMtlsAgents(tls)
	return { fetch: agents.fetch as FetchLike, thumbprint: agents.thumbprint }
}

interface CheckedTls {
	secureContext: SecureContext
	presentsCertificate: boolean
	thumbprint: string | undefined
}

/** TLS 1.3 signs with these curves only ([RFC 8446 §4.2.3](https://www.rfc-editor.org/rfc/rfc8446#section-4.2.3)). */
const TLS_CURVES = ['prime256v1', 'secp384r1', 'secp521r1']
const MIN_RSA_BITS = 2048

function checkTlsOptions(tls: TlsOptions, now: number): CheckedTls {
	if (typeof tls !== 'object' || tls === null) throw new TypeError('tokenwarden: tls must be an object with cert and key, or pfx')
	for (const name of ['cert', 'key'] as const) {
		const value = tls[name]
		if (value !== undefined && typeof value !== 'string' && !Buffer.isBuffer(value)) throw new TypeError(`tokenwarden: tls.${name} must be a string or a Buffer`)
	}
	if (tls.pfx !== undefined && typeof tls.pfx !== 'string' && !(tls.pfx instanceof Uint8Array)) {
		throw new TypeError(`tokenwarden: expected tls.pfx to be PKCS#12 bytes (a Buffer or Uint8Array) or a base64 string, got ${describeType(tls.pfx)}`)
	}
	if (tls.passphrase !== undefined && typeof tls.passphrase !== 'string') throw new TypeError('tokenwarden: tls.passphrase must be a string')
	const pem = tls.cert !== undefined || tls.key !== undefined
	if (pem && tls.pfx !== undefined) throw new TypeError('tokenwarden: tls takes cert and key, or pfx, not both')
	if (pem && (tls.cert === undefined || tls.key === undefined)) throw new TypeError('tokenwarden: tls needs both cert and key (PEM), or pfx')
	if (!pem && tls.pfx === undefined && tls.ca === undefined) throw new TypeError('tokenwarden: tls needs cert and key (PEM), or pfx, or at least ca')

	const options: SecureContextOptions = {}
	if (tls.ca !== undefined) options.ca = checkCa(tls.ca)
	let leaf: X509Certificate | undefined
	if (tls.cert !== undefined) {
		// Parse the certificate on its own first, so its problems are told apart from the key's.
		leaf = parseCertificate(tls.cert, 'tls.cert is not a PEM certificate')
		checkCertificate(leaf, now)
		options.cert = tls.cert
		options.key = tls.key as string | Buffer
	}
	if (tls.pfx !== undefined) options.pfx = pfxBytes(tls.pfx)
	if (tls.passphrase !== undefined) options.passphrase = tls.passphrase
	let secureContext: SecureContext
	try {
		secureContext = createSecureContext(options)
	} catch (error) {
		const encrypted = tls.key !== undefined && /ENCRYPTED/.test(String(tls.key))
		throw new TypeError(`tokenwarden: tls client certificate or key is unusable: ${describeTlsError(error, tls.pfx !== undefined, encrypted)}`)
	}
	if (tls.pfx !== undefined) {
		const presented = certificateOf(secureContext)
		// Node loads a PKCS#12 file that holds only CA certificates without a word; it would present nothing.
		if (presented === null) throw new TypeError('tokenwarden: tls client certificate or key is unusable: tls.pfx holds no client certificate')
		leaf = presented
		if (leaf) checkCertificate(leaf, now)
	}
	const thumbprint = leaf && createHash('sha256').update(leaf.raw).digest('base64url')
	return { secureContext, presentsCertificate: tls.pfx !== undefined || tls.cert !== undefined, thumbprint }
}

function checkCa(ca: NonNullable<TlsOptions['ca']>): Array<string | Buffer> {
	const list: Array<string | Buffer> = Array.isArray(ca) ? [...ca] : [ca as string | Buffer]
	// createSecureContext skips what is not a certificate without a word: a typo would silently
	// leave the server unverifiable.
	for (const entry of list) {
		if (typeof entry !== 'string' && !Buffer.isBuffer(entry)) throw new TypeError('tokenwarden: tls.ca must be PEM strings or Buffers')
		parseCertificate(entry, 'tls.ca is not a PEM certificate')
	}
	return list
}

function parseCertificate(pem: string | Buffer, message: string): X509Certificate {
	// X509Certificate also reads DER, which Node's TLS options do not take.
	if (!pem.toString('latin1').includes('-----BEGIN CERTIFICATE-----')) throw new TypeError(`tokenwarden: ${message}`)
	try {
		return new X509Certificate(pem)
	} catch {
		throw new TypeError(`tokenwarden: ${message}`)
	}
}

function checkCertificate(certificate: X509Certificate, now: number): void {
	if (Date.parse(certificate.validTo) <= now) throw new TypeError(`tokenwarden: the tls client certificate expired on ${certificate.validTo}`)
	if (Date.parse(certificate.validFrom) > now) throw new TypeError(`tokenwarden: the tls client certificate is not valid before ${certificate.validFrom}`)
	const { asymmetricKeyType, asymmetricKeyDetails } = certificate.publicKey
	if (asymmetricKeyType === 'rsa' || asymmetricKeyType === 'rsa-pss') {
		const bits = asymmetricKeyDetails?.modulusLength ?? 0
		if (bits < MIN_RSA_BITS) throw new TypeError(`tokenwarden: the tls client certificate has a ${bits}-bit RSA key; at least ${MIN_RSA_BITS} bits are needed`)
	}
	if (asymmetricKeyType === 'ec' && !TLS_CURVES.includes(asymmetricKeyDetails?.namedCurve ?? '')) {
		throw new TypeError(`tokenwarden: the tls client certificate uses the EC curve ${asymmetricKeyDetails?.namedCurve}, which TLS does not sign with (use P-256, P-384 or P-521)`)
	}
}

/**
 * The certificate a PKCS#12 context presents. Node has no public PKCS#12 parser; its secure context
 * has long exposed `getCertificate()` (DER). Without it the checks and the thumbprint are skipped.
 */
function certificateOf(context: SecureContext): X509Certificate | null | undefined {
	const native = (context as { context?: { getCertificate?: () => Buffer | null } }).context
	if (typeof native?.getCertificate !== 'function') return undefined
	const der = native.getCertificate()
	return der ? new X509Certificate(der) : null
}

/** PKCS#12 bytes as Node's TLS options take them: a base64 string decoded, a Uint8Array viewed as a Buffer (no copy). */
function pfxBytes(pfx: string | Uint8Array): Buffer {
	if (typeof pfx === 'string') return Buffer.from(pfx, 'base64')
	return Buffer.isBuffer(pfx) ? pfx : Buffer.from(pfx.buffer, pfx.byteOffset, pfx.byteLength)
}

function describeType(value: unknown): string {
	if (value === null) return 'null'
	if (typeof value === 'object') return (value as object).constructor?.name ?? 'an object'
	return typeof value
}

/** OpenSSL's reason, without anything from the input. */
function describeTlsError(error: unknown, pfx: boolean, encryptedKey: boolean): string {
	const { code, message = '' } = error as { code?: string; message?: string }
	if (/key values mismatch/i.test(message)) return 'the private key does not match the certificate'
	if (pfx && /private key from PFX|no private key|PRIVATE_KEY/i.test(message)) return 'tls.pfx holds no private key (export it with the key, not with -nokeys)'
	if (/bad decrypt|bad password|mac verify|interrupted or cancelled/i.test(message)) return 'wrong or missing passphrase'
	// A wrong passphrase sometimes decrypts to bytes that pass the padding check and only then fail to
	// parse: for an encrypted key, an unreadable result still means the passphrase.
	if (encryptedKey) return 'wrong or missing passphrase'
	if (/no start line|PEM|asn1|DECODER|unsupported|not enough data|wrong tag|header too long/i.test(message))
		return pfx ? 'tls.pfx is not a PKCS#12 file' : 'tls.key is not a PEM private key'
	return code ?? 'invalid certificate or key'
}

/**
 * What the connector saw of connections that failed before answering, read back when fetch reports
 * the failure: by error object (an alert or a reset that reaches fetch as is), and by local address
 * (undici reports an early close as its own `SocketError`, which carries the socket's address).
 */
class FailureLog {
	readonly #byError = new WeakMap<object, string>()
	readonly #bySocket = new Map<string, string>()
	/** Origins that have answered a request made with this certificate: they accept it. */
	readonly #accepting = new Set<string>()

	accepted(origin: string): void {
		if (this.#accepting.size >= 1024) this.#accepting.clear()
		this.#accepting.add(origin)
	}

	hasAccepted(origin: string): boolean {
		return this.#accepting.has(origin)
	}

	noteError(error: object, code: string): void {
		this.#byError.set(error, code)
	}

	noteSocket(key: string, code: string): void {
		this.#bySocket.delete(key)
		this.#bySocket.set(key, code)
		// Only the last few matter: fetch reads an entry back within the same turn of the event loop.
		if (this.#bySocket.size > 64) this.#bySocket.delete(this.#bySocket.keys().next().value as string)
	}

	forgetSocket(key: string): void {
		this.#bySocket.delete(key)
	}

	/** The TLS failure behind a fetch error, if the connector saw one. */
	take(error: unknown): string | undefined {
		for (let current = error as { cause?: unknown; socket?: unknown } | undefined, depth = 0; current && depth < 4; current = current.cause as typeof current, depth++) {
			if (typeof current !== 'object') return undefined
			const code = this.#byError.get(current)
			if (code !== undefined) return code
			const socket = current.socket as { localAddress?: unknown; localPort?: unknown } | undefined
			if (socket?.localPort !== undefined) {
				const key = `${socket.localAddress}|${socket.localPort}`
				const seen = this.#bySocket.get(key)
				if (seen !== undefined) {
					this.#bySocket.delete(key)
					return seen
				}
			}
		}
		return undefined
	}
}

const TLS_ERROR = /^(ERR_SSL_|ERR_TLS_|ERR_OSSL_)/

/**
 * Watches each new connection for a TLS alert or an unanswered close. undici attaches its listeners
 * a moment after the handshake; on a fast link the server's alert (TLS 1.3 sends it after the client
 * thinks the handshake is done) can come first and reach fetch only as "other side closed".
 */
function watchingConnector(connect: buildConnector.connector, presentsCertificate: boolean, failures: FailureLog): buildConnector.connector {
	return (options, callback) =>
		connect(options, (...args) => {
			const socket = args[1]
			if (socket) watch(socket, presentsCertificate, failures)
			callback(...args)
		})
}

function watch(socket: Socket, presentsCertificate: boolean, failures: FailureLog): void {
	const key = `${socket.localAddress}|${socket.localPort}`
	failures.forgetSocket(key)
	const tlsSocket = socket as TLSSocket
	let alert: string | undefined
	let ticket = false
	// A session ticket means the server accepted the handshake, certificate included (undici listens
	// for tickets already, for its session cache, so listening here changes nothing).
	tlsSocket.on('session', () => {
		ticket = true
	})
	// Judged only when nothing else explains the close: a certificate was presented on a new (not
	// resumed) session, the server sent no ticket and not one byte of an answer.
	const rejectedSilently = () => presentsCertificate && alert === undefined && !ticket && socket.bytesRead === 0 && tlsSocket.isSessionReused?.() !== true
	socket.on('error', (error: Error & { code?: unknown }) => {
		const code = typeof error.code === 'string' ? error.code : undefined
		if (code !== undefined && TLS_ERROR.test(code)) {
			alert ??= code
			failures.noteError(error, code)
			failures.noteSocket(key, code)
		} else if (code === 'ECONNRESET' && rejectedSilently()) {
			failures.noteError(error, PEER_CLOSED_AFTER_HANDSHAKE)
			failures.noteSocket(key, PEER_CLOSED_AFTER_HANDSHAKE)
		}
	})
	socket.on('end', () => {
		if (rejectedSilently()) failures.noteSocket(key, PEER_CLOSED_AFTER_HANDSHAKE)
	})
}

/** What the common alerts mean for a client ([RFC 8446 §6.2](https://www.rfc-editor.org/rfc/rfc8446#section-6.2)). */
const ALERTS: ReadonlyArray<readonly [RegExp, string]> = [
	[/CERTIFICATE_REQUIRED/, 'it requires a client certificate'],
	[/HANDSHAKE_FAILURE/, 'it requires a client certificate, or no cipher or version was agreed'],
	[/UNKNOWN_CA/, 'it does not trust the CA of the client certificate'],
	[/CERTIFICATE_EXPIRED/, 'it says the client certificate expired'],
	[/CERTIFICATE_REVOKED/, 'it says the client certificate is revoked'],
	[/BAD_CERTIFICATE|UNSUPPORTED_CERTIFICATE|CERTIFICATE_UNKNOWN|ACCESS_DENIED/, 'it rejected the client certificate'],
]

function describeFailure(code: string): string {
	if (code === PEER_CLOSED_AFTER_HANDSHAKE) {
		return 'the server closed the connection right after the TLS handshake without answering: it most likely rejected the client certificate (untrusted CA, expired or revoked)'
	}
	const meaning = ALERTS.find(([pattern]) => pattern.test(code))?.[1]
	return `the server ended the TLS connection with an alert (${code})${meaning ? `: ${meaning}` : ''}`
}

/** Puts the TLS failure the connector saw into the error's cause, where a `code` is looked for. */
function explain(error: unknown, failures: FailureLog, origin: string): unknown {
	const code = failures.take(error)
	if (code === undefined) return error
	// A server that has answered with this certificate accepts it: a silent close there is a plain
	// network failure (and is retried as one), not a rejected certificate.
	if (code === PEER_CLOSED_AFTER_HANDSHAKE && failures.hasAccepted(origin)) return error
	const direct = (error as { cause?: { code?: unknown } } | undefined)?.cause?.code
	if (direct === code) return error
	const cause = Object.assign(new Error(describeFailure(code), { cause: (error as { cause?: unknown }).cause }), { code })
	return new TypeError((error as Error).message ?? 'fetch failed', { cause })
}

/** undici's fetch bound to the dispatcher. A `Request` (ky passes one) is unpacked: undici v8 does not take Node's own `Request`. */
function boundFetch(dispatcher: Agent, failures: FailureLog): typeof globalThis.fetch {
	return (async (input: string | URL | Request, init?: RequestInit) => {
		let url: string | URL
		let base: Record<string, unknown> = {}
		if (typeof input === 'object' && !(input instanceof URL) && Object.prototype.toString.call(input) === '[object Request]') {
			const request = input as Request
			url = request.url
			base = { method: request.method, headers: request.headers, body: request.body, signal: request.signal, redirect: request.redirect, duplex: 'half' }
		} else {
			url = input as string | URL
		}
		const origin = new URL(url).origin
		try {
			const response = await undiciFetch(url, { ...base, ...(init as object), dispatcher } as Parameters<typeof undiciFetch>[1])
			failures.accepted(origin)
			return response
		} catch (error) {
			throw explain(error, failures, origin)
		}
	}) as unknown as typeof globalThis.fetch
}

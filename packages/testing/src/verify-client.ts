import { createPublicKey, createSecretKey, type JsonWebKey as NodeJsonWebKey, type KeyObject } from 'node:crypto'
import { decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose'
import type { SeenClientAuth, TokenServerOptions } from './types.js'

/** What the mock expects of clients, resolved once from the options. */
export interface ExpectedClient {
	clientId: string | undefined
	clientSecret: string | undefined
	clientAuth: SeenClientAuth | undefined
	/** The HMAC key for `client_secret_jwt` (the secret's bytes). */
	secretKey: KeyObject | undefined
	/** The key to verify `private_key_jwt` with. */
	publicKey: KeyObject | undefined
	/** What an assertion's `aud` may be: the token endpoint URL, or the issuer (its origin), as RFC 7523 §3 allows. */
	audience: string[]
}

/** Resolves the expectations; a bad `clientPublicKey` is a TypeError now rather than a failed request later. */
export function expectedClient(options: TokenServerOptions): ExpectedClient {
	let key: KeyObject | undefined
	try {
		key = publicKey(options.clientPublicKey)
	} catch {
		throw new TypeError('tokenwarden: clientPublicKey could not be read as a public key (a KeyObject or JWK)')
	}
	return {
		clientId: options.clientId,
		clientSecret: options.clientSecret,
		clientAuth: options.clientAuth,
		secretKey: options.clientSecret === undefined ? undefined : createSecretKey(Buffer.from(options.clientSecret)),
		publicKey: key,
		audience: [options.tokenUrl, new URL(options.tokenUrl).origin],
	}
}

const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'

/** How a request authenticated its client, and why that failed if it did. */
export interface ClientCheck {
	clientId: string | undefined
	method: SeenClientAuth
	/** `invalid_request` for a malformed attempt, `invalid_client` for wrong credentials. */
	error?: 'invalid_request' | 'invalid_client' | undefined
	/** Why, without quoting any secret. */
	reason?: string | undefined
}

/**
 * Checks client authentication the way an authorization server does ([RFC 6749 §2.3](https://www.rfc-editor.org/rfc/rfc6749#section-2.3)):
 * Basic (form-urlencoded id and secret, §2.3.1, or raw), the secret in the form body, or a JWT assertion
 * ([RFC 7523 §3](https://www.rfc-editor.org/rfc/rfc7523#section-3)). More than one method in a request is refused (§2.3).
 */
export async function checkClient(headers: Headers, form: URLSearchParams, options: ExpectedClient): Promise<ClientCheck> {
	const authorization = headers.get('authorization')
	const basic = authorization !== null && /^basic /i.test(authorization)
	const assertion = form.get('client_assertion')
	const postSecret = form.get('client_secret')
	const used = [basic, assertion !== null, postSecret !== null].filter(Boolean).length
	let check: ClientCheck
	if (basic) check = checkBasic(authorization.slice(6).trim(), options)
	else if (assertion !== null) check = await checkAssertion(assertion, form, options)
	else if (postSecret !== null) check = secretCheck(form.get('client_id') ?? undefined, postSecret, 'client_secret_post', options)
	else check = { clientId: form.get('client_id') ?? undefined, method: 'none' }
	if (used > 1) return { ...check, error: 'invalid_request', reason: 'more than one client authentication method in one request (RFC 6749 §2.3)' }
	if (check.error === undefined && basic && form.has('client_id') && form.get('client_id') !== check.clientId) {
		return { ...check, error: 'invalid_request', reason: 'client_id in the body differs from the Basic user' }
	}
	if (check.error !== undefined) return check
	return expectations(check, options)
}

/** The method, client_id and secret presence the mock was told to expect. */
function expectations(check: ClientCheck, options: ExpectedClient): ClientCheck {
	const { clientAuth, clientId, clientSecret } = options
	if (clientAuth !== undefined && check.method !== clientAuth) {
		return { ...check, error: 'invalid_client', reason: `expected ${clientAuth}, got ${check.method}` }
	}
	if (clientId !== undefined && check.clientId !== clientId) {
		const got = check.clientId === undefined ? 'no client_id' : `client_id "${check.clientId}"`
		return { ...check, error: 'invalid_client', reason: `expected client_id "${clientId}", got ${got}` }
	}
	if (clientSecret !== undefined && (check.method === 'none' || check.method === 'private_key_jwt')) {
		return { ...check, error: 'invalid_client', reason: `expected the client secret (Basic, form body or client_secret_jwt), got ${check.method}` }
	}
	return check
}

/**
 * HTTP Basic client credentials, read both ways they are sent: form-urlencoded before base64, as
 * [RFC 6749 §2.3.1](https://www.rfc-editor.org/rfc/rfc6749#section-2.3.1) says, and raw `id:secret`
 * ([RFC 7617 §2](https://www.rfc-editor.org/rfc/rfc7617#section-2)), as Juno and BS2 document it and
 * their presets send it (`basicAuthEncoding: 'raw'`). A secret with `+`, `/`, `=`, `%` or a space reads
 * differently the two ways: the reading that matches the expected credentials wins.
 */
function checkBasic(credentials: string, options: ExpectedClient): ClientCheck {
	const decoded = Buffer.from(credentials, 'base64').toString('utf8')
	const colon = decoded.indexOf(':')
	if (colon < 0) return { clientId: undefined, method: 'client_secret_basic', error: 'invalid_client', reason: 'Basic credentials without a colon' }
	const raw = { id: decoded.slice(0, colon), secret: decoded.slice(colon + 1) }
	const form = formDecoded(raw.id, raw.secret)
	const readings = form === undefined ? [raw] : [form, raw]
	const matching = readings.find(
		({ id, secret }) => (options.clientId === undefined || id === options.clientId) && (options.clientSecret === undefined || secret === options.clientSecret),
	)
	const reading = matching ?? readings.find(({ id }) => options.clientId === undefined || id === options.clientId) ?? readings[0]!
	return secretCheck(reading.id, reading.secret, 'client_secret_basic', options)
}

/** The form-urlencoded reading, or undefined when the credentials are not valid form-urlencoding (then only raw applies). */
function formDecoded(id: string, secret: string): { id: string; secret: string } | undefined {
	try {
		return { id: formDecode(id), secret: formDecode(secret) }
	} catch {
		return undefined
	}
}

function formDecode(value: string): string {
	return decodeURIComponent(value.replaceAll('+', '%20'))
}

function secretCheck(clientId: string | undefined, secret: string, method: SeenClientAuth, options: ExpectedClient): ClientCheck {
	if (options.clientSecret !== undefined && secret !== options.clientSecret) {
		return { clientId, method, error: 'invalid_client', reason: `client secret does not match (sent with ${method})` }
	}
	return { clientId, method }
}

/** RFC 7523 §3: iss and sub are the client, aud the token endpoint, exp in the future; HS* proves the secret. */
async function checkAssertion(assertion: string, form: URLSearchParams, options: ExpectedClient): Promise<ClientCheck> {
	let alg: string | undefined
	try {
		alg = decodeProtectedHeader(assertion).alg
	} catch {
		return { clientId: form.get('client_id') ?? undefined, method: 'private_key_jwt', error: 'invalid_client', reason: 'client_assertion is not a JWT' }
	}
	const method: SeenClientAuth = alg?.startsWith('HS') ? 'client_secret_jwt' : 'private_key_jwt'
	const clientId = form.get('client_id') ?? undefined
	if (form.get('client_assertion_type') !== ASSERTION_TYPE) {
		return { clientId, method, error: 'invalid_request', reason: `client_assertion_type must be ${ASSERTION_TYPE}` }
	}
	const { audience } = options
	const key = method === 'client_secret_jwt' ? options.secretKey : options.publicKey
	try {
		// Without a key (private_key_jwt and no clientPublicKey) only the claims can be checked.
		const payload = key ? (await jwtVerify(assertion, key, { audience, currentDate: new Date(Date.now()) })).payload : decodeJwt(assertion)
		const issuer = payload.iss
		if (payload.sub !== issuer) return { clientId: issuer, method, error: 'invalid_client', reason: 'client_assertion sub differs from iss' }
		if (clientId !== undefined && clientId !== issuer) return { clientId, method, error: 'invalid_client', reason: 'client_assertion iss differs from client_id' }
		if (!key) {
			const audiences = typeof payload.aud === 'string' ? [payload.aud] : (payload.aud ?? [])
			if (!audiences.some((value) => audience.includes(value))) {
				return { clientId: issuer, method, error: 'invalid_client', reason: `client_assertion aud is not ${audience.join(' or ')}` }
			}
			if (typeof payload.exp !== 'number' || payload.exp * 1000 <= Date.now()) {
				return { clientId: issuer, method, error: 'invalid_client', reason: 'client_assertion has expired or has no exp' }
			}
		}
		return { clientId: issuer, method }
	} catch (error) {
		const code = (error as { code?: string }).code ?? 'invalid'
		return { clientId, method, error: 'invalid_client', reason: `client_assertion rejected (${code})` }
	}
}

/** A KeyObject as given, or the public half of a JWK (a private JWK works too). */
function publicKey(key: TokenServerOptions['clientPublicKey']): KeyObject | undefined {
	if (key === undefined) return undefined
	if ('export' in key && typeof key.export === 'function') return key as KeyObject
	return createPublicKey({ key: key as NodeJsonWebKey, format: 'jwk' })
}

import { createPrivateKey, createSecretKey, type KeyObject, randomUUID } from 'node:crypto'
import { SignJWT } from 'jose'
import { type BasicCredentials, formEncode } from './redaction.js'
import type { ClientAuthenticator } from './token-endpoint.js'
import type { Clock, PrivateKeyInput, TokenManagerOptions } from './types/options.js'

const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'
/** RFC 7523 §3 wants a short-lived assertion; 60 s is the common ceiling (FAPI, Open Finance). */
const ASSERTION_LIFETIME_S = 60

/** What a client authentication method needs, and the secrets it must never let out. */
export interface ClientAuthentication {
	authenticate: ClientAuthenticator
	/** Strings to mask wherever response text is quoted. */
	secrets: string[]
	/** With a client secret: the id and secret whose Basic forms (both encodings) are masked too. */
	basic?: BasicCredentials | undefined
}

/** Builds the authenticator once, at manager creation: key parsing and header encoding stay off the request path. */
export function createClientAuthentication(options: TokenManagerOptions, clock: Clock): ClientAuthentication {
	const clientId = options.clientId
	switch (options.clientAuth ?? 'client_secret_basic') {
		case 'client_secret_basic': {
			const encode = 'basicAuthEncoding' in options && options.basicAuthEncoding === 'raw' ? (value: string) => value : formEncode
			const credentials = Buffer.from(`${encode(clientId)}:${encode(options.clientSecret as string)}`).toString('base64')
			const header = `Basic ${credentials}`
			return {
				secrets: [options.clientSecret as string, credentials],
				basic: { clientId, clientSecret: options.clientSecret as string },
				authenticate: (_body, headers) => headers.set('authorization', header),
			}
		}
		case 'client_secret_post': {
			const secret = options.clientSecret as string
			return {
				secrets: [secret],
				basic: { clientId, clientSecret: secret },
				authenticate: (body) => {
					body.set('client_id', clientId)
					body.set('client_secret', secret)
				},
			}
		}
		case 'client_secret_jwt': {
			const secret = options.clientSecret as string
			const key = createSecretKey(Buffer.from(secret))
			const algorithm = ('algorithm' in options && options.algorithm) || 'HS256'
			if (!HMAC_ALGORITHMS.includes(algorithm)) {
				throw new TypeError(`tokenwarden: algorithm ${String(algorithm)} is not supported for client_secret_jwt (use one of ${HMAC_ALGORITHMS.join(', ')})`)
			}
			return { secrets: [secret], basic: { clientId, clientSecret: secret }, authenticate: assertionAuthenticator(options, clock, key, algorithm, undefined) }
		}
		case 'private_key_jwt': {
			if (options.clientAuth !== 'private_key_jwt') throw new TypeError('unreachable')
			if (options.keyId !== undefined && (typeof options.keyId !== 'string' || options.keyId === '')) {
				throw new TypeError('tokenwarden: keyId must be a non-empty string')
			}
			const { key, algorithm, keyId } = resolvePrivateKey(options.privateKey, options.algorithm, options.keyId)
			return { secrets: [], authenticate: assertionAuthenticator(options, clock, key, algorithm, keyId) }
		}
		case 'tls_client_auth':
		case 'self_signed_tls_client_auth': {
			// RFC 8705 §2: the certificate is the credential; `ca` alone would send the client_id unauthenticated.
			const tls = options.tls
			if (typeof tls !== 'object' || tls === null || (tls.cert === undefined && tls.pfx === undefined)) {
				throw new TypeError(`tokenwarden: ${options.clientAuth} needs a client certificate: tls.cert and tls.key, or tls.pfx`)
			}
			return { secrets: [], authenticate: (body) => body.set('client_id', clientId) }
		}
		case 'none':
			// RFC 6749 §2.1: a public client only identifies itself.
			return { secrets: [], authenticate: (body) => body.set('client_id', clientId) }
	}
}

/** JWT client assertion ([RFC 7523 §2.2](https://www.rfc-editor.org/rfc/rfc7523#section-2.2)): a fresh one per request, with a unique `jti`. */
function assertionAuthenticator(options: TokenManagerOptions, clock: Clock, key: KeyObject, algorithm: string, keyId: string | undefined): ClientAuthenticator {
	const configured = 'assertionAudience' in options ? options.assertionAudience : undefined
	if (configured !== undefined && (typeof configured !== 'string' || configured === '')) {
		throw new TypeError('tokenwarden: assertionAudience must be a non-empty string (the token endpoint URL or the issuer)')
	}
	// RFC 7523 §3 point 3: the audience identifies the authorization server; the token endpoint URL is
	// always acceptable, some servers want their issuer identifier instead.
	const audience = configured ?? options.tokenUrl
	return async (body) => {
		const now = Math.floor(clock.now() / 1000)
		const assertion = await new SignJWT({})
			.setProtectedHeader(keyId ? { alg: algorithm, kid: keyId, typ: 'JWT' } : { alg: algorithm, typ: 'JWT' })
			.setIssuer(options.clientId)
			.setSubject(options.clientId)
			.setAudience(audience)
			.setJti(randomUUID())
			.setIssuedAt(now)
			.setExpirationTime(now + ASSERTION_LIFETIME_S)
			.sign(key)
		body.set('client_id', options.clientId)
		body.set('client_assertion_type', ASSERTION_TYPE)
		body.set('client_assertion', assertion)
	}
}

const HMAC_ALGORITHMS: readonly string[] = ['HS256', 'HS384', 'HS512']

/** Key types jose signs each algorithm with. jose refuses `rsa-pss` and `ed448` KeyObjects at signing time, so they are refused here, at creation. */
const KEY_TYPES: Record<string, readonly string[]> = {
	RS256: ['rsa'],
	RS384: ['rsa'],
	RS512: ['rsa'],
	PS256: ['rsa'],
	PS384: ['rsa'],
	PS512: ['rsa'],
	ES256: ['ec'],
	ES384: ['ec'],
	ES512: ['ec'],
	EdDSA: ['ed25519'],
}
const EC_CURVES: Record<string, string> = { ES256: 'prime256v1', ES384: 'secp384r1', ES512: 'secp521r1' }

/**
 * Parses a private key (JWK, PEM or KeyObject) and checks it fits the algorithm, so a wrong key is
 * a TypeError at creation rather than a failed request later. Messages never quote key material.
 */
export function resolvePrivateKey(
	input: PrivateKeyInput,
	algorithmOption: string | undefined,
	keyIdOption: string | undefined,
): { key: KeyObject; algorithm: string; keyId: string | undefined } {
	let key: KeyObject
	let algorithm = algorithmOption
	let keyId = keyIdOption
	if (typeof input !== 'string' && !Buffer.isBuffer(input) && (typeof input !== 'object' || input === null)) {
		throw new TypeError('tokenwarden: privateKey must be a private JWK, a PEM string or a KeyObject')
	}
	try {
		if (typeof input === 'string' || Buffer.isBuffer(input)) key = createPrivateKey(input)
		else if (isKeyObject(input)) key = input
		else {
			const jwk = input as JsonWebKey & { kid?: unknown; alg?: unknown }
			if (typeof jwk.alg === 'string') algorithm ??= jwk.alg
			if (typeof jwk.kid === 'string') keyId ??= jwk.kid
			key = createPrivateKey({ key: jwk as import('node:crypto').JsonWebKey, format: 'jwk' })
		}
	} catch (error) {
		throw new TypeError(`tokenwarden: privateKey could not be read as a private key (${keyReadProblem(error)})`)
	}
	if (key.type !== 'private') throw new TypeError('tokenwarden: privateKey must be a private key, not a public or secret one')
	if (!algorithm) throw new TypeError('tokenwarden: private_key_jwt needs an algorithm (options.algorithm, or alg on the JWK)')
	const keyTypes = KEY_TYPES[algorithm]
	if (!keyTypes) {
		throw new TypeError(`tokenwarden: algorithm ${algorithm} is not supported for private_key_jwt (use one of ${Object.keys(KEY_TYPES).join(', ')})`)
	}
	if (!keyTypes.includes(key.asymmetricKeyType ?? '')) {
		throw new TypeError(`tokenwarden: a ${key.asymmetricKeyType} key cannot sign ${algorithm}`)
	}
	const curve = EC_CURVES[algorithm]
	if (curve && key.asymmetricKeyDetails?.namedCurve !== curve) {
		throw new TypeError(`tokenwarden: ${algorithm} needs a ${curve} key, not ${key.asymmetricKeyDetails?.namedCurve}`)
	}
	if (algorithm.startsWith('RS') || algorithm.startsWith('PS')) {
		const bits = key.asymmetricKeyDetails?.modulusLength ?? 0
		if (bits < 2048) throw new TypeError(`tokenwarden: ${algorithm} needs an RSA key of at least 2048 bits, not ${bits}`)
	}
	return { key, algorithm, keyId }
}

/** Why Node could not read the key, from its error code only: the message could quote the input. */
function keyReadProblem(error: unknown): string {
	const code = (error as { code?: unknown }).code
	if (code === 'ERR_MISSING_PASSPHRASE' || code === 'ERR_OSSL_CRYPTO_INTERRUPTED_OR_CANCELLED' || code === 'ERR_OSSL_BAD_DECRYPT') {
		return 'it is encrypted: pass crypto.createPrivateKey({ key, passphrase }) as privateKey'
	}
	if (code === 'ERR_CRYPTO_INVALID_JWK') return 'not a private JWK'
	return typeof code === 'string' ? code : 'invalid key'
}

function isKeyObject(value: unknown): value is KeyObject {
	return typeof value === 'object' && value !== null && typeof (value as KeyObject).export === 'function' && 'asymmetricKeyType' in value
}

import { createSecretKey, generateKeyPairSync, type KeyObject } from 'node:crypto'
import { inspect } from 'node:util'
import { decodeProtectedHeader, jwtVerify, type JWTPayload } from 'jose'
import nock from 'nock'
import { beforeAll, describe, expect, it } from 'vitest'
import { createTokenManager, OAuthError, type TokenManagerOptions } from '@tokenwarden/core'
import { CLIENT_ID, CLIENT_SECRET, ISSUER, opaque, recorder, type SeenRequest, setup, TOKEN_PATH, TOKEN_URL, useNock } from './helpers.ts'

useNock()

const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'

interface Keys {
	rsa: { privateKey: KeyObject; publicKey: KeyObject }
	ec: { privateKey: KeyObject; publicKey: KeyObject }
	smallRsa: KeyObject
	p384: KeyObject
}
let keys: Keys

beforeAll(() => {
	// Generated once for the file: RSA generation is the slow part.
	keys = {
		rsa: generateKeyPairSync('rsa', { modulusLength: 2048 }),
		ec: generateKeyPairSync('ec', { namedCurve: 'P-256' }),
		smallRsa: generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey,
		p384: generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey,
	}
})

/** What the token endpoint checks of one assertion, as an authorization server would (RFC 7523 §3). */
async function verifyAssertion(
	seen: SeenRequest,
	key: KeyObject,
	algorithm: string,
	audience: string = TOKEN_URL,
): Promise<{ payload: JWTPayload; header: Record<string, unknown> }> {
	expect(seen.form.client_assertion_type).toBe(ASSERTION_TYPE)
	expect(seen.form.client_id).toBe(CLIENT_ID)
	expect(seen.form.client_secret).toBeUndefined()
	expect(seen.headers.get('authorization')).toBeNull()
	const assertion = seen.form.client_assertion as string
	const { payload } = await jwtVerify(assertion, key, { issuer: CLIENT_ID, subject: CLIENT_ID, audience, algorithms: [algorithm] })
	expect(typeof payload.jti).toBe('string')
	expect(payload.exp! - payload.iat!).toBeGreaterThan(0)
	expect(payload.exp! - payload.iat!).toBeLessThanOrEqual(60)
	expect(Math.abs(payload.iat! - Date.now() / 1000)).toBeLessThanOrEqual(5)
	return { payload, header: decodeProtectedHeader(assertion) as Record<string, unknown> }
}

function privateKeyJwt(overrides: Record<string, unknown>) {
	return setup({ clientAuth: 'private_key_jwt', clientSecret: undefined, ...overrides } as Partial<TokenManagerOptions>)
}

describe('private_key_jwt (RFC 7523 §2.2)', () => {
	it('RS256 with a JWK: alg and kid are taken from it', async () => {
		const endpoint = recorder()
		nock(ISSUER).post(TOKEN_PATH).reply(endpoint.reply)
		const jwk = { ...keys.rsa.privateKey.export({ format: 'jwk' }), kid: 'rsa-key-1', alg: 'RS256' }
		const { tokens } = privateKeyJwt({ privateKey: jwk })
		await tokens.getToken()
		const { header } = await verifyAssertion(endpoint.seen[0] as SeenRequest, keys.rsa.publicKey, 'RS256')
		expect(header).toMatchObject({ alg: 'RS256', kid: 'rsa-key-1' })
		expect(endpoint.seen[0]?.form.grant_type).toBe('client_credentials')
	})

	it('PS256 with a PEM string and keyId / algorithm options', async () => {
		const endpoint = recorder()
		nock(ISSUER).post(TOKEN_PATH).reply(endpoint.reply)
		const pem = keys.rsa.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string
		const { tokens } = privateKeyJwt({ privateKey: pem, keyId: 'pem-key', algorithm: 'PS256' })
		await tokens.getToken()
		const { header } = await verifyAssertion(endpoint.seen[0] as SeenRequest, keys.rsa.publicKey, 'PS256')
		expect(header).toMatchObject({ alg: 'PS256', kid: 'pem-key' })
	})

	it('ES256 with a KeyObject; no kid header when none is known', async () => {
		const endpoint = recorder()
		nock(ISSUER).post(TOKEN_PATH).reply(endpoint.reply)
		const { tokens } = privateKeyJwt({ privateKey: keys.ec.privateKey, algorithm: 'ES256' })
		await tokens.getToken()
		const { header } = await verifyAssertion(endpoint.seen[0] as SeenRequest, keys.ec.publicKey, 'ES256')
		expect(header.alg).toBe('ES256')
		expect(header.kid).toBeUndefined()
	})

	it('options override what the JWK says', async () => {
		const endpoint = recorder()
		nock(ISSUER).post(TOKEN_PATH).reply(endpoint.reply)
		const jwk = { ...keys.rsa.privateKey.export({ format: 'jwk' }), kid: 'from-jwk', alg: 'RS256' }
		const { tokens } = privateKeyJwt({ privateKey: jwk, keyId: 'from-options', algorithm: 'PS256' })
		await tokens.getToken()
		const { header } = await verifyAssertion(endpoint.seen[0] as SeenRequest, keys.rsa.publicKey, 'PS256')
		expect(header).toMatchObject({ alg: 'PS256', kid: 'from-options' })
	})

	it('assertionAudience replaces the token endpoint as aud (for servers that want their issuer)', async () => {
		const endpoint = recorder()
		nock(ISSUER).post(TOKEN_PATH).reply(endpoint.reply)
		const { tokens } = privateKeyJwt({ privateKey: keys.ec.privateKey, algorithm: 'ES256', assertionAudience: ISSUER })
		await tokens.getToken()
		const { payload } = await verifyAssertion(endpoint.seen[0] as SeenRequest, keys.ec.publicKey, 'ES256', ISSUER)
		expect(payload.aud).toBe(ISSUER)
	})

	it('signs a fresh assertion with a new jti for every request, a retry after a 503 included', async () => {
		const endpoint = recorder((_seen, count) => (count === 2 ? [503] : [200, opaque(count)]))
		nock(ISSUER).post(TOKEN_PATH).times(3).reply(endpoint.reply)
		const { tokens, events } = privateKeyJwt({ privateKey: keys.ec.privateKey, algorithm: 'ES256' })
		await tokens.getToken()
		await tokens.getToken({ forceRefresh: true })
		expect(events.filter((event) => event.type === 'retry')).toMatchObject([{ status: 503 }])
		expect(endpoint.count()).toBe(3)
		const verified = await Promise.all(endpoint.seen.map((seen) => verifyAssertion(seen, keys.ec.publicKey, 'ES256')))
		expect(new Set(verified.map(({ payload }) => payload.jti)).size).toBe(3)
		expect(new Set(endpoint.seen.map((seen) => seen.form.client_assertion)).size).toBe(3)
	})

	it('the assertion does not appear in the error when the server refuses it', async () => {
		const endpoint = recorder(() => [401, { error: 'invalid_client', error_description: 'assertion rejected' }])
		nock(ISSUER).post(TOKEN_PATH).reply(endpoint.reply)
		const { tokens, events } = privateKeyJwt({ privateKey: keys.ec.privateKey, algorithm: 'ES256' })
		const error = await tokens.getToken().catch((caught: unknown) => caught)
		expect(error).toBeInstanceOf(OAuthError)
		const assertion = endpoint.seen[0]?.form.client_assertion as string
		const text = `${inspect(error, { depth: 5 })} ${JSON.stringify(error)} ${JSON.stringify(events)}`
		expect(text).not.toContain(assertion.split('.')[2])
		expect(text).not.toContain(assertion.split('.')[1])
	})
})

describe('client_secret_jwt (RFC 7523 §2.2, HMAC)', () => {
	it('HS256 by default, signed with the client secret, which is never sent', async () => {
		const endpoint = recorder()
		nock(ISSUER).post(TOKEN_PATH).reply(endpoint.reply)
		const { tokens } = setup({ clientAuth: 'client_secret_jwt' })
		await tokens.getToken()
		const seen = endpoint.seen[0] as SeenRequest
		await verifyAssertion(seen, createSecretKey(Buffer.from(CLIENT_SECRET)), 'HS256')
		expect(JSON.stringify(seen.form)).not.toContain('s3cr3t')
	})

	it('HS512 when asked, with assertionAudience, and a new jti per request', async () => {
		const endpoint = recorder()
		nock(ISSUER).post(TOKEN_PATH).times(2).reply(endpoint.reply)
		const { tokens } = setup({ clientAuth: 'client_secret_jwt', algorithm: 'HS512', assertionAudience: ISSUER })
		await tokens.getToken()
		await tokens.getToken({ forceRefresh: true })
		const secret = createSecretKey(Buffer.from(CLIENT_SECRET))
		const verified = await Promise.all(endpoint.seen.map((seen) => verifyAssertion(seen, secret, 'HS512', ISSUER)))
		expect(verified[0]?.payload.jti).not.toBe(verified[1]?.payload.jti)
	})
})

describe('key problems are a TypeError at construction, without key material', () => {
	const pemOf = (key: KeyObject) => key.export({ type: 'pkcs8', format: 'pem' }) as string
	const cases: Array<[string, () => Record<string, unknown>, RegExp]> = [
		['an algorithm private_key_jwt does not sign with', () => ({ privateKey: keys.rsa.privateKey, algorithm: 'HS256' }), /algorithm HS256 is not supported for private_key_jwt/],
		['alg none', () => ({ privateKey: keys.rsa.privateKey, algorithm: 'none' }), /algorithm none is not supported/],
		['no algorithm for a PEM key', () => ({ privateKey: pemOf(keys.rsa.privateKey) }), /needs an algorithm/],
		['an RSA key under 2048 bits', () => ({ privateKey: keys.smallRsa, algorithm: 'RS256' }), /at least 2048 bits, not 1024/],
		['an EC key on the wrong curve', () => ({ privateKey: keys.p384, algorithm: 'ES256' }), /ES256 needs a prime256v1 key, not secp384r1/],
		['an RSA key for ES256', () => ({ privateKey: keys.rsa.privateKey, algorithm: 'ES256' }), /a rsa key cannot sign ES256/],
		['an EC key for RS256', () => ({ privateKey: pemOf(keys.ec.privateKey), algorithm: 'RS256' }), /a ec key cannot sign RS256/],
		['a public key', () => ({ privateKey: keys.rsa.publicKey, algorithm: 'RS256' }), /must be a private key/],
		['a public PEM', () => ({ privateKey: keys.rsa.publicKey.export({ type: 'spki', format: 'pem' }), algorithm: 'RS256' }), /could not be read/],
		['a JWK without the private part', () => ({ privateKey: withoutD(keys.rsa.privateKey), algorithm: 'RS256' }), /not a private JWK/],
		['text that is not a key', () => ({ privateKey: 'not a key', algorithm: 'RS256' }), /could not be read as a private key/],
		['an encrypted PEM', () => ({ privateKey: encrypted(keys.rsa.privateKey), algorithm: 'RS256' }), /it is encrypted/],
		['an empty assertionAudience', () => ({ privateKey: keys.ec.privateKey, algorithm: 'ES256', assertionAudience: '' }), /expected assertionAudience to be a non-empty string/],
	]

	it.each(cases)('private_key_jwt: %s', (_name, options, message) => {
		const error = construct({ tokenUrl: TOKEN_URL, clientId: CLIENT_ID, clientAuth: 'private_key_jwt', ...options() })
		expect(error).toBeInstanceOf(TypeError)
		expect((error as Error).message).toMatch(/^tokenwarden: /)
		expect((error as Error).message).toMatch(message)
		const text = `${(error as Error).message} ${inspect(error)}`
		for (const key of [keys.rsa.privateKey, keys.ec.privateKey, keys.smallRsa, keys.p384]) {
			expect(text).not.toContain(String(key.export({ format: 'jwk' }).d))
			const lines = pemOf(key).trim().split('\n')
			expect(text).not.toContain(lines[Math.floor(lines.length / 2)])
		}
	})

	it('client_secret_jwt: an algorithm that is not HMAC, without the secret in the message', () => {
		const error = construct({ tokenUrl: TOKEN_URL, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, clientAuth: 'client_secret_jwt', algorithm: 'RS256' })
		expect(error).toBeInstanceOf(TypeError)
		expect((error as Error).message).toMatch(/^tokenwarden: algorithm RS256 is not supported for client_secret_jwt/)
		expect(`${(error as Error).message} ${inspect(error)}`).not.toContain(CLIENT_SECRET)
	})
})

function construct(options: Record<string, unknown>): unknown {
	try {
		createTokenManager(options as unknown as TokenManagerOptions)
	} catch (error) {
		return error
	}
	return undefined
}

function withoutD(key: KeyObject): Record<string, unknown> {
	const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...publicPart } = key.export({ format: 'jwk' })
	return publicPart
}

function encrypted(key: KeyObject): string {
	return key.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'test-only' }) as string
}

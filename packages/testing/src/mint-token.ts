import { randomUUID } from 'node:crypto'
import { SignJWT, UnsecuredJWT } from 'jose'
import type { JwtFormat, TokenFormat } from './types.js'

/** Makes access tokens in one format, with the expiry they carry. */
export type Minter = (fields: MintFields) => Promise<{ accessToken: string; expiresAt: number }>

export interface MintFields {
	/** Sequence number, for readable opaque tokens (`access-1`, `access-2`, ...). */
	serial: number
	/** Issue time, epoch ms. */
	issuedAt: number
	/** Lifetime in seconds. */
	expiresIn: number
	scope: readonly string[]
	clientId: string | undefined
	subject: string | undefined
}

const HMAC_MIN_BYTES: Record<string, number> = { HS256: 32, HS384: 48, HS512: 64 }

/** Resolves the format once, checking its options: a mistake is a TypeError at setup, not a failed request. */
export function createMinter(format: TokenFormat | undefined, tokenUrl: string): Minter {
	if (format === undefined || format === 'opaque') {
		return async ({ serial, issuedAt, expiresIn }) => ({ accessToken: `access-${serial}`, expiresAt: issuedAt + expiresIn * 1000 })
	}
	const jwt: JwtFormat = format === 'jwt' ? {} : format
	if (typeof jwt !== 'object' || jwt === null) throw new TypeError("tokenwarden: tokenFormat must be 'opaque', 'jwt' or a JWT format object")
	const alg = jwt.alg ?? 'none'
	let key: Uint8Array | undefined
	if (alg !== 'none') {
		const minimum = HMAC_MIN_BYTES[alg]
		if (minimum === undefined) throw new TypeError(`tokenwarden: tokenFormat.alg must be none, HS256, HS384 or HS512, not ${String(alg)}`)
		key = typeof jwt.secret === 'string' ? new TextEncoder().encode(jwt.secret) : jwt.secret
		if (!(key instanceof Uint8Array) || key.byteLength < minimum) {
			throw new TypeError(`tokenwarden: tokenFormat.secret must be at least ${minimum} bytes for ${alg}`)
		}
	}
	const issuer = jwt.issuer ?? new URL(tokenUrl).origin
	return async (fields) => {
		// RFC 7519 §4.1.4: NumericDate seconds. The exp is whole seconds after the issue time, so
		// it says exactly what expires_in says when the clock sits on a whole second.
		const iat = Math.floor(fields.issuedAt / 1000)
		const claims: Record<string, unknown> = {
			iss: issuer,
			sub: fields.subject ?? fields.clientId ?? 'client',
			...(fields.clientId === undefined ? {} : { client_id: fields.clientId }),
			...(jwt.audience === undefined ? {} : { aud: typeof jwt.audience === 'string' ? jwt.audience : [...jwt.audience] }),
			...(fields.scope.length > 0 ? { scope: fields.scope.join(' ') } : {}),
			iat,
			exp: iat + fields.expiresIn,
			jti: randomUUID(),
			...jwt.claims,
		}
		const expiresAt = typeof claims.exp === 'number' ? claims.exp * 1000 : fields.issuedAt + fields.expiresIn * 1000
		if (key === undefined) return { accessToken: new UnsecuredJWT(claims).encode(), expiresAt }
		// RFC 9068 §2.1: JWT access tokens are typed at+jwt.
		return { accessToken: await new SignJWT(claims).setProtectedHeader({ alg, typ: 'at+jwt' }).sign(key), expiresAt }
	}
}

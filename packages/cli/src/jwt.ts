import { decodeJwt, decodeProtectedHeader } from 'jose'

/** A JWT's header and payload, decoded without checking the signature: nothing in it is verified. */
export interface DecodedJwt {
	/** Always false: the CLI has no key to verify with, and says so wherever it shows these. */
	verified: false
	header: Record<string, unknown>
	payload: Record<string, unknown>
}

/** Claims that hold NumericDate seconds ([RFC 7519 §2](https://www.rfc-editor.org/rfc/rfc7519#section-2)). */
export const TIME_CLAIMS: readonly string[] = ['exp', 'iat', 'nbf', 'auth_time']

/** Decodes a compact JWS ([RFC 7515 §7.1](https://www.rfc-editor.org/rfc/rfc7515#section-7.1)) with jose; undefined for an opaque token. */
export function decodeToken(token: string): DecodedJwt | undefined {
	if (token.split('.').length !== 3) return undefined
	try {
		return { verified: false, header: { ...decodeProtectedHeader(token) }, payload: { ...decodeJwt(token) } }
	} catch {
		return undefined
	}
}

/** Scope claims as JWT access tokens carry them: `scope` ([RFC 9068 §2.2.3](https://www.rfc-editor.org/rfc/rfc9068#section-2.2.3)) or `scp`. */
export function scopeClaim(payload: Record<string, unknown>): string[] | undefined {
	const value = payload.scope ?? payload.scp
	if (typeof value === 'string') return value.split(' ').filter(Boolean)
	if (Array.isArray(value) && value.every((item) => typeof item === 'string')) return value as string[]
	return undefined
}

/** The `aud` claim as a list. */
export function audiences(payload: Record<string, unknown>): string[] {
	const aud = payload.aud
	if (typeof aud === 'string') return [aud]
	if (Array.isArray(aud)) return aud.filter((item): item is string => typeof item === 'string')
	return []
}

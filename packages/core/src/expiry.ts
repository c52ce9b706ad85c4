import { decodeJwt } from 'jose'
import { InvalidTokenResponseError } from './errors.js'
import type { ExpirySource } from './types/events.js'

/** Longest lifetime accepted from `expires_in`: anything beyond a year is taken as a server bug. */
const MAX_LIFETIME_MS = 366 * 24 * 60 * 60 * 1000
/**
 * Shortest lifetime a token is kept for. A server that says `expires_in: 0.001` would otherwise have
 * every call request a new token: such a token is handed to the callers that waited for it and kept
 * for this long (reported as `shortLifetime` on the `token` event), never re-requested on every call.
 */
export const MIN_LIFETIME_MS = 1000

export interface ExpiryInput {
	accessToken: string
	expiresIn: unknown
	/** Local time the response arrived, epoch ms. */
	receivedAt: number
	/** The response's `Date` header. */
	dateHeader: string | null
	defaultLifetime: number
	status: number
	/** Masks secrets in server values quoted in errors. */
	redact?: ((text: string, maxLength?: number) => string) | undefined
}

export interface Expiry {
	expiresAt: number
	source: ExpirySource
	/** Local clock minus issuer clock, ms. */
	clockSkew: number
	/** The lifetime the server gave, in ms, when it was below {@link MIN_LIFETIME_MS} and `expiresAt` was moved to the floor. */
	shortLifetime?: number | undefined
}

/**
 * When an access token expires, on the local clock.
 *
 * Order ([docs/API.md](https://github.com/tokenwarden/tokenwarden/blob/main/docs/API.md)): a JWT's numeric `exp` ([RFC 7519 §4.1.4](https://www.rfc-editor.org/rfc/rfc7519#section-4.1.4)),
 * else `expires_in` ([RFC 6749 §5.1](https://www.rfc-editor.org/rfc/rfc6749#section-5.1)) as seconds, a numeric
 * string, or an ISO-8601 timestamp (Bankly documents one), else the default lifetime. The JWT is decoded
 * for timing only: its signature is not checked and nothing else is trusted from it.
 *
 * Absolute times from the issuer are corrected for clock difference. The response's `Date` header
 * gives the difference both ways. Without it, `iat` is used only to move expiry earlier: a server
 * that hands out a token it issued a while ago would otherwise make an old token look fresh.
 */
export function computeExpiry(input: ExpiryInput): Expiry {
	const claims = decodeClaims(input.accessToken)
	const serverDate = input.dateHeader ? Date.parse(input.dateHeader) : Number.NaN
	let clockSkew = 0
	if (Number.isFinite(serverDate)) {
		// The Date header has whole seconds: the server's clock read somewhere in [date, date + 999 ms].
		// Under a second of difference is that truncation (plus latency), not skew; beyond it, assume
		// the end of the second, so the correction can only make expiry earlier than the truth.
		const raw = input.receivedAt - serverDate
		clockSkew = raw >= 0 && raw < 1000 ? 0 : raw - 999
	} else if (claims && typeof claims.iat === 'number' && Number.isFinite(claims.iat)) {
		clockSkew = Math.min(0, input.receivedAt - claims.iat * 1000)
	}

	if (claims && typeof claims.exp === 'number' && Number.isFinite(claims.exp)) {
		return checkArrival({ expiresAt: claims.exp * 1000 + clockSkew, source: 'jwt-exp', clockSkew }, input)
	}
	if (input.expiresIn !== undefined && input.expiresIn !== null) {
		return checkArrival({ expiresAt: parseExpiresIn(input, clockSkew), source: 'expires_in', clockSkew }, input)
	}
	return { expiresAt: input.receivedAt + input.defaultLifetime, source: 'default', clockSkew }
}

function decodeClaims(token: string): { exp?: unknown; iat?: unknown } | undefined {
	// Cheap shape test first: opaque tokens (UUIDs and the like) are the common case.
	if (token.split('.').length !== 3) return undefined
	try {
		return decodeJwt(token)
	} catch {
		return undefined
	}
}

function parseExpiresIn(input: ExpiryInput, clockSkew: number): number {
	const value = input.expiresIn
	let seconds: number | undefined
	if (typeof value === 'number') seconds = value
	else if (typeof value === 'string' && /^\s*\d+(\.\d+)?\s*$/.test(value)) seconds = Number(value)
	else if (typeof value === 'string' && /^\d{4}-\d{2}-\d{2}T/.test(value.trim())) {
		const at = Date.parse(value.trim())
		if (Number.isFinite(at)) return at + clockSkew
	}
	if (seconds === undefined || !Number.isFinite(seconds) || seconds <= 0 || seconds * 1000 > MAX_LIFETIME_MS) {
		throw new InvalidTokenResponseError(
			`Token response has an unusable expires_in (${describe(value, input.redact)}): expected positive seconds up to one year or an ISO-8601 timestamp`,
			{
				reason: 'invalid_expires_in',
				status: input.status,
			},
		)
	}
	return input.receivedAt + seconds * 1000
}

function checkArrival(expiry: Expiry, input: ExpiryInput): Expiry {
	return floorLifetime(checkRange(expiry, input), input.receivedAt)
}

function floorLifetime(expiry: Expiry, receivedAt: number): Expiry {
	const lifetime = expiry.expiresAt - receivedAt
	if (lifetime >= MIN_LIFETIME_MS) return expiry
	return { ...expiry, expiresAt: receivedAt + MIN_LIFETIME_MS, shortLifetime: lifetime }
}

function checkRange(expiry: Expiry, input: ExpiryInput): Expiry {
	if (expiry.expiresAt <= input.receivedAt) {
		throw new InvalidTokenResponseError(
			`Token response carries a token that had already expired on arrival (${expiry.source}, ${Math.round((input.receivedAt - expiry.expiresAt) / 1000)} s ago)`,
			{ reason: 'expired_on_arrival', status: input.status },
		)
	}
	if (expiry.expiresAt - input.receivedAt > MAX_LIFETIME_MS) {
		throw new InvalidTokenResponseError('Token response has an expiry more than a year away', {
			reason: 'invalid_expires_in',
			status: input.status,
		})
	}
	return expiry
}

/** Type and, for short values, the value itself, masked (a server may echo a secret anywhere). */
function describe(value: unknown, redact: ExpiryInput['redact'] = (text) => text): string {
	if (typeof value === 'number') return String(value)
	if (typeof value === 'string') return value.length <= 40 ? JSON.stringify(redact(value, 40)) : `a string of ${value.length} characters`
	return typeof value
}

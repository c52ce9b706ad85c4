import { flag, type Flags, UsageError } from '../args.js'
import type { Context } from '../context.js'
import { EXIT } from '../explain-error.js'
import { duration, localTime, Report } from '../format.js'
import type { InputStream } from '../io.js'
import { audiences, type DecodedJwt, decodeToken, scopeClaim } from '../jwt.js'
import { masked } from '../mask.js'
import { renderJwt } from '../token-view.js'

/** Longest input read: a token response with a large JWT fits many times over. */
const INPUT_LIMIT = 64 * 1024

/** What `inspect` shows, in the shape `--json` prints. */
export interface InspectView {
	format: 'jwt' | 'opaque'
	/** Always masked: the token came from you. */
	accessToken: string
	tokenType: string | undefined
	/** ISO 8601, when the token says (JWT `exp`, or `expires_in` of a pasted token response). */
	expiresAt: string | undefined
	/** Seconds left; negative once expired. */
	expiresIn: number | undefined
	expired: boolean | undefined
	expirySource: 'exp' | 'expires_in' | undefined
	/** The token's own scope claim, or the response's `scope`. */
	scope: string[] | undefined
	jwt: DecodedJwt | null
}

/**
 * `tokenwarden inspect`: decodes a token read from stdin, offline. Takes the token alone, an
 * `Authorization: Bearer …` line, or a whole token response (JSON); the token is never printed.
 */
export async function inspectCommand(flags: Flags, context: Context): Promise<number> {
	const { io, term, secrets } = context
	if (io.stdin.isTTY) throw new UsageError('inspect reads a token from stdin', 'pipe it in: tokenwarden inspect < token.txt')
	const input = parseInput(await readInput(io.stdin))
	secrets.add(input.token)
	secrets.add(input.refreshToken)
	const jwt = decodeToken(input.token)
	const now = io.now()
	let expiresAt: number | undefined
	let expirySource: InspectView['expirySource']
	if (typeof jwt?.payload.exp === 'number') {
		expiresAt = jwt.payload.exp * 1000
		expirySource = 'exp'
	} else if (input.expiresIn !== undefined) {
		expiresAt = now + input.expiresIn * 1000
		expirySource = 'expires_in'
	}
	const expiresIn = expiresAt === undefined ? undefined : Math.floor((expiresAt - now) / 1000)
	const view: InspectView = {
		format: jwt ? 'jwt' : 'opaque',
		accessToken: masked(input.token),
		tokenType: input.tokenType,
		expiresAt: expiresAt === undefined ? undefined : new Date(expiresAt).toISOString(),
		expiresIn,
		expired: expiresIn === undefined ? undefined : expiresIn <= 0,
		expirySource,
		scope: (jwt ? scopeClaim(jwt.payload) : undefined) ?? input.scope,
		jwt: jwt ?? null,
	}
	if (flag(flags, 'json')) {
		term.out(`${JSON.stringify({ ok: true, command: 'inspect', ...view }, null, 2)}\n`)
		return EXIT.ok
	}
	const report = new Report(term.paint)
	report.heading('Token read from stdin (offline, nothing verified)')
	report.field('format', jwt ? `a JWT of ${input.token.length} characters` : `opaque, ${input.token.length} characters: nothing to decode`)
	if (input.tokenType) report.field('token type', input.tokenType)
	if (expiresAt !== undefined && expiresIn !== undefined) {
		const left = expiresIn > 0 ? `in ${duration(expiresIn)} (${expiresIn} s)` : `expired ${duration(-expiresIn)} ago`
		report.field('expires', `${localTime(expiresAt)}, ${left}`, expiresIn > 0 ? 'good' : 'bad')
		report.field('expiry from', expirySource === 'exp' ? "the JWT's exp claim" : 'expires_in of the response, counted from now')
	} else {
		report.field('expires', 'unknown: no exp claim', 'warn')
	}
	if (jwt) {
		const nbf = jwt.payload.nbf
		if (typeof nbf === 'number' && nbf * 1000 > now) report.field('not before', `${localTime(nbf * 1000)}: not valid yet`, 'bad')
		const aud = audiences(jwt.payload)
		if (aud.length > 0) report.field('audience', aud.join(', '))
		if (typeof jwt.payload.iss === 'string') report.field('issuer', jwt.payload.iss)
	}
	if (view.scope) report.field('scope', view.scope.length > 0 ? view.scope.join(' ') : '(none)')
	if (input.refreshToken !== undefined) report.field('refresh token', `${masked(input.refreshToken)}, never printed`, 'dim')
	if (jwt) renderJwt(report, jwt)
	term.out(report.toString())
	return EXIT.ok
}

async function readInput(stdin: InputStream): Promise<string> {
	const chunks: Buffer[] = []
	let size = 0
	for await (const chunk of stdin) {
		const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk)
		size += buffer.byteLength
		if (size > INPUT_LIMIT) throw new UsageError(`the input is larger than ${INPUT_LIMIT / 1024} KiB: not a token`)
		chunks.push(buffer)
	}
	return Buffer.concat(chunks).toString('utf8').trim()
}

interface Input {
	token: string
	tokenType: string | undefined
	expiresIn: number | undefined
	scope: string[] | undefined
	refreshToken: string | undefined
}

function parseInput(text: string): Input {
	if (text === '') throw new UsageError('no token on stdin', 'pipe it in: tokenwarden inspect < token.txt')
	if (text.startsWith('{')) return parseResponse(text)
	const token = text.replace(/^authorization:\s*/i, '').replace(/^(bearer|dpop)\s+/i, '')
	// RFC 6750 §2.1 b64token: no spaces or control characters inside one token.
	if ([...token].some((char) => char.charCodeAt(0) <= 0x20 || char.charCodeAt(0) === 0x7f))
		throw new UsageError('the input is not one token (it has spaces or control characters inside)')
	return { token, tokenType: undefined, expiresIn: undefined, scope: undefined, refreshToken: undefined }
}

/** A token response ([RFC 6749 §5.1](https://www.rfc-editor.org/rfc/rfc6749#section-5.1)) pasted whole. */
function parseResponse(text: string): Input {
	let body: unknown
	try {
		body = JSON.parse(text)
	} catch {
		throw new UsageError('the input starts with { but is not JSON')
	}
	const fields = body as Record<string, unknown>
	if (typeof fields.access_token !== 'string' || fields.access_token === '') throw new UsageError('the JSON input has no access_token')
	const expiresIn =
		typeof fields.expires_in === 'number' ? fields.expires_in : typeof fields.expires_in === 'string' && /^\d+$/.test(fields.expires_in) ? Number(fields.expires_in) : undefined
	return {
		token: fields.access_token,
		tokenType: typeof fields.token_type === 'string' ? fields.token_type : undefined,
		expiresIn,
		scope: typeof fields.scope === 'string' ? fields.scope.split(' ').filter(Boolean) : undefined,
		refreshToken: typeof fields.refresh_token === 'string' ? fields.refresh_token : undefined,
	}
}

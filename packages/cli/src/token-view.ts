import type { Token, TokenEvent } from '@tokenwarden/core'
import { decodeToken, type DecodedJwt, TIME_CLAIMS } from './jwt.js'
import { duration, localTime, type Report } from './format.js'
import { masked } from './mask.js'
import type { Observation } from './observe.js'

/** Where a token's expiry came from, as the CLI names it. */
export type ExpirySource = 'exp' | 'expires_in' | 'default'

/** How the clock difference was measured: the response's `Date` header, the JWT's `iat` (only ever moves expiry earlier), nothing, or not observable (mutual TLS). */
export type ClockSkewSource = 'date' | 'iat' | 'none' | 'unknown'

/** The facts the `token` and `exchange` commands show, in the shape `--json` prints. */
export interface TokenView {
	tokenType: string
	format: 'jwt' | 'opaque'
	/** Masked unless `--show-token`. */
	accessToken: string
	/** ISO 8601, UTC. */
	expiresAt: string
	/** Seconds left. */
	expiresIn: number
	expirySource: ExpirySource | undefined
	/** This machine's clock minus the server's, in ms, as the manager corrected expiry with it. */
	clockSkewMs: number
	clockSkewSource: ClockSkewSource
	scope: { granted: string[]; requested: string[]; missing: string[]; extra: string[] }
	/** Decoded header and payload, never verified; null for an opaque token. */
	jwt: DecodedJwt | null
}

const SOURCES: Record<TokenEvent['expirySource'], ExpirySource> = { 'jwt-exp': 'exp', expires_in: 'expires_in', default: 'default' }

export function tokenView(token: Token, requested: readonly string[], observation: Observation, now: number, showToken: boolean): TokenView {
	const event = [...observation.events].reverse().find((item): item is TokenEvent => item.type === 'token')
	const jwt = decodeToken(token.accessToken)
	const granted = [...token.scope]
	return {
		tokenType: token.tokenType,
		format: jwt ? 'jwt' : 'opaque',
		accessToken: showToken ? token.accessToken : masked(token.accessToken),
		expiresAt: new Date(token.expiresAt).toISOString(),
		expiresIn: Math.max(0, Math.floor((token.expiresAt - now) / 1000)),
		expirySource: event ? SOURCES[event.expirySource] : undefined,
		clockSkewMs: event?.clockSkew ?? 0,
		clockSkewSource: skewSource(observation.dateHeader, jwt),
		scope: {
			granted,
			requested: [...requested],
			missing: requested.filter((item) => !granted.includes(item)),
			extra: requested.length === 0 ? [] : granted.filter((item) => !requested.includes(item)),
		},
		jwt: jwt ?? null,
	}
}

function skewSource(dateHeader: string | null | undefined, jwt: DecodedJwt | undefined): ClockSkewSource {
	if (dateHeader === undefined) return 'unknown'
	if (dateHeader !== null && Number.isFinite(Date.parse(dateHeader))) return 'date'
	return typeof jwt?.payload.iat === 'number' ? 'iat' : 'none'
}

const EXPIRY_WORDS: Record<ExpirySource, string> = {
	exp: "the JWT's exp claim",
	expires_in: 'expires_in in the token response',
	default: 'the default lifetime: the server sent neither exp nor expires_in',
}

/** The token part of the human report. */
export function renderToken(report: Report, view: TokenView, showToken: boolean): void {
	report.field('token type', `${view.tokenType}${view.format === 'jwt' ? ', a JWT (decoded below, unverified)' : ', opaque'}`)
	report.field('expires', `${localTime(Date.parse(view.expiresAt))}, in ${duration(view.expiresIn)} (${view.expiresIn} s)`, view.expiresIn > 0 ? 'good' : 'bad')
	if (view.expirySource) report.field('expiry from', EXPIRY_WORDS[view.expirySource])
	report.field('clock', clockWords(view))
	renderScope(report, view.scope)
	if (showToken) report.field('access token', view.accessToken)
	else report.field('access token', `${view.accessToken}; --show-token prints it`, 'dim')
	if (view.jwt) renderJwt(report, view.jwt)
}

function clockWords(view: TokenView): string {
	const skew = view.clockSkewMs
	const how = { date: 'Date header', iat: "the token's iat", none: '', unknown: '' }[view.clockSkewSource]
	if (view.clockSkewSource === 'none') return 'not measured: the server sent no Date header'
	const size = duration(skew / 1000)
	const text = skew === 0 ? 'in step with the server (within 1 s)' : `this machine is ${size} ${skew > 0 ? 'ahead of' : 'behind'} the server; expiry corrected`
	if (view.clockSkewSource === 'unknown') return `${text} (with mutual TLS the Date header is not observed)`
	return `${text} (${how})`
}

function renderScope(report: Report, scope: TokenView['scope']): void {
	const list = (items: readonly string[]) => (items.length > 0 ? items.join(' ') : '(none)')
	if (scope.requested.length === 0) {
		report.field('scope', `granted: ${list(scope.granted)} (none requested: the server's default)`)
		return
	}
	if (scope.missing.length === 0 && scope.extra.length === 0) {
		report.field('scope', `granted as requested: ${list(scope.granted)}`, 'good')
		return
	}
	report.field('scope', `granted: ${list(scope.granted)}`, 'warn')
	report.field('', `requested: ${list(scope.requested)}`)
	if (scope.missing.length > 0) report.field('', `not granted: ${list(scope.missing)}`, 'bad')
	if (scope.extra.length > 0) report.field('', `granted beyond the request: ${list(scope.extra)}`)
}

/** The decoded header and payload, one claim a line, times also in local time. */
export function renderJwt(report: Report, jwt: DecodedJwt): void {
	report.heading('JWT header (unverified: decoded, signature not checked)')
	for (const [name, value] of Object.entries(jwt.header)) report.text(`${name}: ${JSON.stringify(value)}`, 'plain', 2)
	report.heading('JWT payload (unverified: decoded, signature not checked)')
	for (const [name, value] of Object.entries(jwt.payload)) {
		const when = TIME_CLAIMS.includes(name) && typeof value === 'number' ? ` (${localTime(value * 1000)})` : ''
		report.text(`${name}: ${JSON.stringify(value)}${when}`, 'plain', 2)
	}
}

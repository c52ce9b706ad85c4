import { normaliseScope } from './scope.js'
import type { ClientAuthMethod, Clock, FetchLike, TokenManagerOptions } from './types/options.js'
import {
	boolean,
	bytesOrString,
	duration,
	func,
	httpUrl,
	integer,
	invalid,
	isPlainObject,
	knownKeys,
	methods,
	nonEmptyString,
	oneOf,
	plainObject,
	scopeValue,
	stringRecord,
} from './validators.js'

const CLIENT_AUTH_METHODS: readonly ClientAuthMethod[] = [
	'client_secret_basic',
	'client_secret_post',
	'client_secret_jwt',
	'private_key_jwt',
	'tls_client_auth',
	'self_signed_tls_client_auth',
	'none',
]

/**
 * Defaults, chosen for lifetimes from 300 s (BS2) to 86 400 s (Juno sandbox): refresh one minute
 * ahead (a fifth of a BS2 token, a rounding error of a Juno one), never hand out a token with less than
 * ten seconds left (enough for a request to reach the API). See docs/ARCHITECTURE.md.
 */
export const DEFAULTS = {
	refreshAhead: 60_000,
	expiryMargin: 10_000,
	defaultLifetime: 300_000,
	timeout: 10_000,
	concurrency: 4,
	consentWarning: 3 * 24 * 60 * 60 * 1000,
	maxResponseBytes: 64 * 1024,
} as const

/** Most `maxResponseBytes` accepted: a token response is a few kilobytes; 64 MiB is already generous. */
export const MAX_RESPONSE_BYTES_LIMIT = 64 * 1024 * 1024
/** Longest refresh-token lifetime accepted (it is a lifetime, not a timer: 30-day refresh tokens exist). */
const MAX_REFRESH_TOKEN_LIFETIME = 366 * 24 * 60 * 60 * 1000
/** Retries beyond this are a mistake (an unset `Number(process.env.X)` is NaN; a huge one is a hang). */
const MAX_RETRIES = 100

/** Every option {@link createTokenManager} knows, for every `clientAuth`: anything else is a typo. */
export const OPTION_NAMES = [
	'tokenUrl',
	'clientId',
	'clientSecret',
	'clientAuth',
	'scope',
	'refreshAhead',
	'expiryMargin',
	'defaultLifetime',
	'timeout',
	'retry',
	'rateLimit',
	'concurrency',
	'store',
	'fetch',
	'clock',
	'onEvent',
	'logger',
	'tokenParams',
	'tls',
	'authorizeUrl',
	'redirectUri',
	'refreshTokenLifetime',
	'consentWarning',
	'scopeOnRefresh',
	'revocationUrl',
	'maxScopes',
	'maxResponseBytes',
	'basicAuthEncoding',
	'algorithm',
	'assertionAudience',
	'privateKey',
	'keyId',
	'random',
] as const

export const systemClock: Clock = {
	now: () => Date.now(),
	// Timers stay referenced: a retry backoff is what keeps a script alive until its token arrives.
	setTimeout: (callback, ms) => setTimeout(callback, ms),
	clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
}

export interface ResolvedOptions {
	tokenUrl: string
	clientId: string
	clientAuth: ClientAuthMethod
	scope: string[]
	refreshAhead: number
	expiryMargin: number
	/** Which of `refreshAhead` and `expiryMargin` the user gave (honoured exactly) rather than left at their defaults (scaled for short tokens). */
	given: { refreshAhead: boolean; expiryMargin: boolean }
	defaultLifetime: number
	timeout: number
	concurrency: number
	consentWarning: number
	refreshTokenLifetime: number | undefined
	scopeOnRefresh: boolean
	maxScopes: number
	/** Byte cap on every token-endpoint and revocation response body, counted after decompression. */
	maxResponseBytes: number
	/** Extra form parameters, `undefined` entries dropped. */
	tokenParams: Readonly<Record<string, string>>
	clock: Clock
	fetch: FetchLike
	/** Jitter source, values in [0, 1). */
	random: () => number
}

/**
 * Checks every option at the boundary with the shared {@link ./validators.ts} validators: a mistake is a
 * TypeError at creation naming the option (`tokenwarden: expected <option> to be …, got …`), not a
 * failed request later. `undefined` means "not given" for every optional option; `null` never does.
 */
export function resolveOptions(options: TokenManagerOptions): ResolvedOptions {
	if (!isPlainObject(options)) invalid('options', 'an object', options)
	knownKeys(options, OPTION_NAMES, undefined)
	const given = options as Partial<Record<(typeof OPTION_NAMES)[number], unknown>>
	const tokenUrl = httpUrl(given.tokenUrl, 'tokenUrl')
	if (given.authorizeUrl !== undefined) httpUrl(given.authorizeUrl, 'authorizeUrl')
	if (given.revocationUrl !== undefined) httpUrl(given.revocationUrl, 'revocationUrl')
	if (given.redirectUri !== undefined) nonEmptyString(given.redirectUri, 'redirectUri')
	const clientId = nonEmptyString(given.clientId, 'clientId')
	const clientAuth = given.clientAuth === undefined ? 'client_secret_basic' : oneOf(given.clientAuth, 'clientAuth', CLIENT_AUTH_METHODS)
	const needsSecret = clientAuth === 'client_secret_basic' || clientAuth === 'client_secret_post' || clientAuth === 'client_secret_jwt'
	if (needsSecret && (typeof given.clientSecret !== 'string' || given.clientSecret === '')) {
		invalid('clientSecret', `a non-empty string for ${clientAuth}`, given.clientSecret, { secret: true })
	}
	if (!needsSecret && given.clientSecret !== undefined)
		invalid('clientSecret', `absent with ${clientAuth} (clientSecret is not used with ${clientAuth}; remove it)`, given.clientSecret, { secret: true })
	const basicAuthEncoding = given.basicAuthEncoding === undefined ? undefined : oneOf(given.basicAuthEncoding, 'basicAuthEncoding', ['form-urlencoded', 'raw'])
	if (basicAuthEncoding === 'raw' && clientId.includes(':')) invalid('clientId', 'free of ":" with basicAuthEncoding raw (RFC 7617)', clientId)
	if (given.algorithm !== undefined) nonEmptyString(given.algorithm, 'algorithm')
	if (given.keyId !== undefined) nonEmptyString(given.keyId, 'keyId')
	if (given.assertionAudience !== undefined) nonEmptyString(given.assertionAudience, 'assertionAudience')
	if (clientAuth === 'private_key_jwt' && (given.privateKey === undefined || given.privateKey === null || given.privateKey === '')) {
		invalid('privateKey', 'a private JWK, a PEM string or a KeyObject (privateKey is required for private_key_jwt)', given.privateKey, { secret: true })
	}
	if (given.tls !== undefined) checkTls(given.tls)
	if ((clientAuth === 'tls_client_auth' || clientAuth === 'self_signed_tls_client_auth') && given.tls === undefined) {
		invalid('tls', `a client certificate for ${clientAuth} (tls (client certificate) is required)`, given.tls)
	}
	const scopeOption = given.scope === undefined ? undefined : scopeValue(given.scope, 'scope')
	if (given.fetch !== undefined) func(given.fetch, 'fetch')
	if (given.fetch !== undefined && given.tls !== undefined) {
		invalid(
			'fetch',
			'absent when tls is given (give tls or fetch, not both: with tls the manager uses its own mutual TLS fetch; createMtlsAgents builds one for other uses)',
			given.fetch,
		)
	}
	if (given.onEvent !== undefined) func(given.onEvent, 'onEvent')
	if (given.logger !== undefined) methods(given.logger, 'logger', ['debug', 'info', 'warn', 'error'], 'a console-compatible logger')
	if (given.store !== undefined) {
		const store = methods<Record<string, unknown>>(given.store, 'store', ['get', 'set', 'delete', 'compareAndDelete'], 'a TokenStore')
		if (store.lock !== undefined) func(store.lock, 'store.lock')
	}
	const clock = given.clock === undefined ? systemClock : methods<Clock>(given.clock, 'clock', ['now', 'setTimeout', 'clearTimeout'], 'a clock { now, setTimeout, clearTimeout }')
	if (given.rateLimit !== undefined) {
		const rateLimit = plainObject(given.rateLimit, 'rateLimit', ['limit', 'interval'], 'an object { limit, interval }')
		integer(rateLimit.limit, 'rateLimit.limit', { min: 1 })
		duration(rateLimit.interval, 'rateLimit.interval', { min: 1 })
	}
	if (given.retry !== undefined) checkRetry(given.retry)
	const tokenParams = given.tokenParams === undefined ? {} : stringRecord(given.tokenParams, 'tokenParams')
	const maxScopes = given.maxScopes === undefined ? Number.POSITIVE_INFINITY : integer(given.maxScopes, 'maxScopes', { min: 1 })
	const scope = checkScopeCount(normaliseScope(scopeOption), maxScopes)
	const fetchImpl = (given.fetch as FetchLike | undefined) ?? ((input, init) => globalThis.fetch(input, init))
	return {
		tokenUrl,
		clientId,
		clientAuth,
		scope,
		refreshAhead: duration(given.refreshAhead ?? DEFAULTS.refreshAhead, 'refreshAhead'),
		expiryMargin: duration(given.expiryMargin ?? DEFAULTS.expiryMargin, 'expiryMargin'),
		given: { refreshAhead: given.refreshAhead !== undefined, expiryMargin: given.expiryMargin !== undefined },
		defaultLifetime: duration(given.defaultLifetime ?? DEFAULTS.defaultLifetime, 'defaultLifetime', { min: 1 }),
		timeout: duration(given.timeout ?? DEFAULTS.timeout, 'timeout', { min: 1 }),
		concurrency: integer(given.concurrency ?? DEFAULTS.concurrency, 'concurrency', { min: 1 }),
		consentWarning: duration(given.consentWarning ?? DEFAULTS.consentWarning, 'consentWarning'),
		refreshTokenLifetime:
			given.refreshTokenLifetime === undefined ? undefined : duration(given.refreshTokenLifetime, 'refreshTokenLifetime', { min: 1, max: MAX_REFRESH_TOKEN_LIFETIME }),
		scopeOnRefresh: given.scopeOnRefresh === undefined ? true : boolean(given.scopeOnRefresh, 'scopeOnRefresh'),
		maxScopes,
		maxResponseBytes: integer(given.maxResponseBytes ?? DEFAULTS.maxResponseBytes, 'maxResponseBytes', { min: 1024, max: MAX_RESPONSE_BYTES_LIMIT }),
		tokenParams,
		clock,
		fetch: fetchImpl,
		random: given.random === undefined ? () => Math.random() : (func(given.random, 'random') as () => number),
	}
}

/** Providers such as Bankly cap the scopes per token; asking for more would only earn an error from them. */
export function checkScopeCount(scope: string[], maxScopes: number): string[] {
	if (scope.length > maxScopes) throw new TypeError(`tokenwarden: expected at most ${maxScopes} scopes per token (maxScopes), got ${scope.length}`)
	return scope
}

/** `retry`: a number of retries, `false`, or `{ limit, delay, maxDelay, maxRetryAfter }` (see {@link RetryOptions}). */
function checkRetry(retry: unknown): void {
	if (retry === false) return
	if (typeof retry === 'number') {
		integer(retry, 'retry', { min: 0, max: MAX_RETRIES })
		return
	}
	const given = plainObject(retry, 'retry', ['limit', 'delay', 'maxDelay', 'maxRetryAfter'], 'a number of retries, false, or { limit, delay, maxDelay, maxRetryAfter }')
	if (given.limit !== undefined) integer(given.limit, 'retry.limit', { min: 0, max: MAX_RETRIES })
	for (const name of ['delay', 'maxDelay', 'maxRetryAfter'] as const) {
		if (given[name] !== undefined) duration(given[name], `retry.${name}`)
	}
}

/** `tls`: `{ cert, key, ca?, passphrase? }` or `{ pfx, passphrase?, ca? }` (or `{ ca }` alone); tls.ts checks the certificates themselves. */
function checkTls(tls: unknown): void {
	const given = plainObject(tls, 'tls', ['cert', 'key', 'pfx', 'passphrase', 'ca'], 'an object { cert, key, ca?, passphrase? } or { pfx, passphrase?, ca? }')
	for (const name of ['cert', 'key'] as const) if (given[name] !== undefined) bytesOrString(given[name], `tls.${name}`)
	// tls.pfx (bytes or a base64 string) is checked, and parsed, by tls.ts.
	if (given.passphrase !== undefined && typeof given.passphrase !== 'string') invalid('tls.passphrase', 'a string', given.passphrase, { secret: true })
	if (given.ca !== undefined) {
		const list = Array.isArray(given.ca) ? given.ca : [given.ca]
		list.forEach((entry, index) => bytesOrString(entry, Array.isArray(given.ca) ? `tls.ca[${index}]` : 'tls.ca'))
	}
}

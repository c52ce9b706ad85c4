import { normaliseScope } from './scope.js'
import type { ClientAuthMethod, Clock, FetchLike, TokenManagerOptions } from './types/options.js'

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
} as const

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
	defaultLifetime: number
	timeout: number
	concurrency: number
	consentWarning: number
	refreshTokenLifetime: number | undefined
	scopeOnRefresh: boolean
	maxScopes: number
	clock: Clock
	fetch: FetchLike
}

/** Checks options at the boundary: a mistake is a TypeError at creation, not a failed request later. */
export function resolveOptions(options: TokenManagerOptions): ResolvedOptions {
	if (typeof options !== 'object' || options === null) fail('options must be an object')
	const tokenUrl = endpoint(options.tokenUrl, 'tokenUrl')
	if (options.authorizeUrl !== undefined) endpoint(options.authorizeUrl, 'authorizeUrl')
	if (options.revocationUrl !== undefined) endpoint(options.revocationUrl, 'revocationUrl')
	if (typeof options.clientId !== 'string' || options.clientId === '') fail('clientId must be a non-empty string')
	const clientAuth = options.clientAuth ?? 'client_secret_basic'
	if (!CLIENT_AUTH_METHODS.includes(clientAuth)) fail(`clientAuth must be one of ${CLIENT_AUTH_METHODS.join(', ')}`)
	const needsSecret = clientAuth === 'client_secret_basic' || clientAuth === 'client_secret_post' || clientAuth === 'client_secret_jwt'
	if (needsSecret && (typeof options.clientSecret !== 'string' || options.clientSecret === '')) {
		fail(`clientSecret must be a non-empty string for ${clientAuth}`)
	}
	if (!needsSecret && options.clientSecret !== undefined) fail(`clientSecret is not used with ${clientAuth}; remove it`)
	const basicAuthEncoding = 'basicAuthEncoding' in options ? options.basicAuthEncoding : undefined
	if (basicAuthEncoding !== undefined && basicAuthEncoding !== 'form-urlencoded' && basicAuthEncoding !== 'raw') {
		fail(`basicAuthEncoding must be 'form-urlencoded' or 'raw'`)
	}
	if (basicAuthEncoding === 'raw' && options.clientId.includes(':')) fail('clientId must not contain ":" with basicAuthEncoding raw (RFC 7617)')
	if (clientAuth === 'private_key_jwt' && !('privateKey' in options && options.privateKey)) fail('privateKey is required for private_key_jwt')
	if ((clientAuth === 'tls_client_auth' || clientAuth === 'self_signed_tls_client_auth') && !options.tls) {
		fail(`tls (client certificate) is required for ${clientAuth}`)
	}
	if (options.scope !== undefined && typeof options.scope !== 'string' && !Array.isArray(options.scope)) {
		fail('scope must be a space-separated string or an array of strings')
	}
	if (options.fetch !== undefined && typeof options.fetch !== 'function') fail('fetch must be a function')
	if (options.fetch !== undefined && options.tls !== undefined) {
		fail('give tls or fetch, not both: with tls the manager uses its own mutual TLS fetch (createMtlsAgents builds one for other uses)')
	}
	if (options.onEvent !== undefined && typeof options.onEvent !== 'function') fail('onEvent must be a function')
	if (options.logger !== undefined) {
		for (const level of ['debug', 'info', 'warn', 'error'] as const) {
			if (typeof options.logger[level] !== 'function') fail(`logger.${level} must be a function`)
		}
	}
	const store = options.store
	if (store !== undefined) {
		for (const method of ['get', 'set', 'delete', 'compareAndDelete'] as const) {
			if (typeof store[method] !== 'function') fail(`store.${method} must be a function (see the TokenStore interface)`)
		}
	}
	if (options.rateLimit !== undefined) {
		positiveInteger(options.rateLimit.limit, 'rateLimit.limit')
		duration(options.rateLimit.interval, 'rateLimit.interval', 1)
	}
	const maxScopes = options.maxScopes === undefined ? Number.POSITIVE_INFINITY : positiveInteger(options.maxScopes, 'maxScopes')
	const scope = checkScopeCount(normaliseScope(options.scope), maxScopes)
	const fetchImpl = options.fetch ?? ((input, init) => globalThis.fetch(input, init))
	return {
		tokenUrl,
		clientId: options.clientId,
		clientAuth,
		scope,
		refreshAhead: duration(options.refreshAhead ?? DEFAULTS.refreshAhead, 'refreshAhead', 0),
		expiryMargin: duration(options.expiryMargin ?? DEFAULTS.expiryMargin, 'expiryMargin', 0),
		defaultLifetime: duration(options.defaultLifetime ?? DEFAULTS.defaultLifetime, 'defaultLifetime', 1),
		timeout: duration(options.timeout ?? DEFAULTS.timeout, 'timeout', 1),
		concurrency: positiveInteger(options.concurrency ?? DEFAULTS.concurrency, 'concurrency'),
		consentWarning: duration(options.consentWarning ?? DEFAULTS.consentWarning, 'consentWarning', 0),
		refreshTokenLifetime: options.refreshTokenLifetime === undefined ? undefined : duration(options.refreshTokenLifetime, 'refreshTokenLifetime', 1),
		scopeOnRefresh: options.scopeOnRefresh ?? true,
		maxScopes,
		clock: options.clock ?? systemClock,
		fetch: fetchImpl,
	}
}

/** Providers such as Bankly cap the scopes per token; asking for more would only earn an error from them. */
export function checkScopeCount(scope: string[], maxScopes: number): string[] {
	if (scope.length > maxScopes) fail(`at most ${maxScopes} scopes per token (maxScopes); got ${scope.length}`)
	return scope
}

function fail(message: string): never {
	throw new TypeError(`tokenwarden: ${message}`)
}

/** An absolute http(s) URL without credentials. Plain http is allowed (test servers) but reported: RFC 6749 §3.2 requires TLS. */
function endpoint(value: unknown, name: string): string {
	if (typeof value !== 'string' || value === '') fail(`${name} must be a URL string`)
	let url: URL
	try {
		url = new URL(value)
	} catch {
		fail(`${name} is not a valid URL`)
	}
	if (url.protocol !== 'https:' && url.protocol !== 'http:') fail(`${name} must be an http(s) URL`)
	if (url.username || url.password) fail(`${name} must not carry credentials`)
	return value
}

function duration(value: unknown, name: string, min: number): number {
	if (typeof value !== 'number' || !Number.isFinite(value) || value < min) {
		fail(`${name} must be a number of milliseconds${min > 0 ? ` of at least ${min}` : ' (0 or more)'}`)
	}
	return value
}

function positiveInteger(value: unknown, name: string): number {
	if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) fail(`${name} must be a positive integer`)
	return value
}

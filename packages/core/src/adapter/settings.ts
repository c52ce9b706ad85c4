import type { RequestTokenOptions, ResponseView, TokenSource } from '../types/adapter.js'
import type { TokenRequest } from '../types/token.js'
import { allowedOrigins } from './origins.js'

/** Adapter options after validation: what every HTTP client adapter needs to decide about a request. */
export interface AdapterSettings {
	/** Where tokens come from. */
	readonly manager: TokenSource
	/** Origins (as `URL.origin` spells them) that may receive tokens. */
	readonly origins: ReadonlySet<string>
	/** Whether a 401 drops the token sent and retries once. */
	readonly retryUnauthorized: boolean
	/** The client's default token request. */
	readonly defaults: TokenRequest
	/** The user's response classifier (`isTokenRejected` option), or undefined for the default rule. */
	readonly isTokenRejected: ((response: ResponseView) => boolean) | undefined
}

const adapterKeys = new Set(['scope', 'subject', 'origins', 'retryUnauthorized', 'isTokenRejected'])
const requestKeys = new Set(['scope', 'subject'])

/** Checks the options at the boundary: a mistake is a TypeError when the client is set up, not a leaked token later. */
export function resolveAdapterSettings(manager: unknown, options: unknown, baseOrigin: string | undefined, caller: string): AdapterSettings {
	const source = manager as Partial<TokenSource> | undefined
	if (typeof source?.getToken !== 'function' || typeof source.invalidate !== 'function') {
		throw new TypeError(`tokenwarden: ${caller} needs a token manager (createTokenManager from @tokenwarden/core)`)
	}
	const given = checkObject(options ?? {}, adapterKeys, `${caller} options`)
	if (given.retryUnauthorized !== undefined && typeof given.retryUnauthorized !== 'boolean') {
		throw new TypeError(`tokenwarden: ${caller} retryUnauthorized must be a boolean`)
	}
	const isTokenRejected = given.isTokenRejected
	if (isTokenRejected !== undefined && typeof isTokenRejected !== 'function') {
		throw new TypeError(`tokenwarden: expected ${caller} option isTokenRejected to be a function (response) => boolean, got ${typeof isTokenRejected}`)
	}
	return {
		manager: source as TokenSource,
		origins: allowedOrigins(given.origins, baseOrigin, caller),
		retryUnauthorized: given.retryUnauthorized !== false,
		defaults: tokenRequest(given, {}, caller),
		isTokenRejected: isTokenRejected as ((response: ResponseView) => boolean) | undefined,
	}
}

/**
 * The token request for one request: its own option (`where` names it in errors) over the client's
 * defaults, or false for none.
 */
export function requestTokenOf(option: unknown, defaults: TokenRequest, where: string): TokenRequest | false {
	if (option === undefined) return defaults
	if (option === false) return false
	return tokenRequest(checkObject(option, requestKeys, where, ' or false'), defaults, where)
}

function tokenRequest(given: Record<string, unknown>, defaults: TokenRequest, where: string): TokenRequest {
	const { scope, subject } = given as RequestTokenOptions
	if (scope !== undefined && typeof scope !== 'string' && !(Array.isArray(scope) && scope.every((item) => typeof item === 'string'))) {
		throw new TypeError(`tokenwarden: ${where} scope must be a string or an array of strings`)
	}
	if (subject !== undefined && (typeof subject !== 'string' || subject === '')) {
		throw new TypeError(`tokenwarden: ${where} subject must be a non-empty string`)
	}
	const request: TokenRequest = {}
	const effectiveScope = scope ?? defaults.scope
	const effectiveSubject = subject ?? defaults.subject
	if (effectiveScope !== undefined) request.scope = effectiveScope
	if (effectiveSubject !== undefined) request.subject = effectiveSubject
	return request
}

/** A plain object with known keys only: a typo such as `origin` for `origins` must not pass silently. */
function checkObject(value: unknown, known: ReadonlySet<string>, where: string, alternative = ''): Record<string, unknown> {
	if (typeof value !== 'object' || value === null || Array.isArray(value)) {
		throw new TypeError(`tokenwarden: ${where} must be an object${alternative}`)
	}
	for (const key of Object.keys(value)) {
		if (!known.has(key)) throw new TypeError(`tokenwarden: ${where} has an unknown key "${key}" (known: ${[...known].join(', ')})`)
	}
	return value as Record<string, unknown>
}

import { AbortError, createTokenManager, normaliseScope } from '@tokenwarden/core'
import type { AuthorizationUrlOptions, ConsentInfo, ExchangeCodeOptions, Token, TokenManager, TokenRequest } from '@tokenwarden/core'
import { checkState } from './check-state.js'
import { maskedToken } from './masked-token.js'

/** A token to hand out: its string, or its fields. */
export type StaticTokenInput =
	| string
	| {
			/** The access token handed out. */
			accessToken: string
			/** Default `'Bearer'`. */
			tokenType?: string | undefined
			/** Epoch ms. Default: an hour after the manager was created (`Date.now()`). */
			expiresAt?: number | undefined
			/** Default: the scope asked for in `getToken`. */
			scope?: string | readonly string[] | undefined
	  }

/** Options of {@link staticTokenManager}. */
export interface StaticTokenManagerOptions {
	/** Every `getToken` rejects with this (for example a `ConsentRequiredError`), until `failNext` queues say otherwise. */
	error?: Error | undefined
	/** Subjects that have consented already: `consent()` reports them. */
	consented?: readonly string[] | undefined
	/** Authorization endpoint for `authorizationUrl`. Default `https://auth.invalid/authorize`. */
	authorizeUrl?: string | undefined
	/** Default redirect URI for `authorizationUrl` and `exchangeCode`. Default `https://app.invalid/callback`. */
	redirectUri?: string | undefined
	/** client_id in authorization URLs. Default `'static-client'`. */
	clientId?: string | undefined
}

/** The arguments of every call, per method, in order (like `vi.fn().mock.calls`). */
export interface StaticTokenManagerCalls {
	/** Arguments of each `getToken` call. */
	getToken: Array<[request?: TokenRequest]>
	/** Arguments of each `invalidate` call. */
	invalidate: Array<[token: Token | string]>
	/** Arguments of each `authorizationUrl` call. */
	authorizationUrl: Array<[options?: AuthorizationUrlOptions]>
	/** Arguments of each `exchangeCode` call. */
	exchangeCode: Array<[options: ExchangeCodeOptions]>
	/** Arguments of each `consent` call. */
	consent: Array<[request: { subject: string }]>
	/** Arguments of each `revoke` call. */
	revoke: Array<[request: { subject: string }]>
	/** Arguments of each `logout` call. */
	logout: Array<[request: { subject: string }]>
}

/** A {@link TokenManager} with fixed tokens and a record of its calls. */
export interface StaticTokenManager extends TokenManager {
	/** Arguments of every call, per method. */
	readonly calls: StaticTokenManagerCalls
	/** The token `getToken` hands out now (for the manager's default scope, no subject). */
	readonly current: Token
	/** The next `times` (default 1) `getToken` calls reject with `error`; queued in order, before `options.error`. */
	failNext(error: Error, times?: number): void
	/** Forgets the recorded calls. */
	resetCalls(): void
	/**
	 * Back to how it was created, for a manager shared by several tests (one created at module level):
	 * the first token of the sequence again, no queued failures, the consents given at creation only,
	 * no recorded calls.
	 */
	clear(): Promise<void>
}

const HOUR = 60 * 60 * 1000

/**
 * A token manager for testing code that uses one, with no token endpoint at all. It hands out the
 * given token (or the tokens of a sequence in turn: `invalidate` of the current one, or
 * `forceRefresh`, moves on to the next; the last one stays) and records every call, so a test can
 * assert "the client invalidated the token and retried after a 401" without HTTP.
 *
 * Tokens are masked like the real manager's: `util.inspect`, `JSON.stringify` and snapshots show
 * `[redacted]`, not the token.
 *
 * @example
 * const tokens = staticTokenManager(['stale', 'fresh'])
 * const api = withTokens(axios.create({ baseURL }), tokens)
 * // API answers 401 to "stale", 200 to "fresh"
 * await api.get('/cob')
 * expect(tokens.calls.invalidate).toHaveLength(1)
 *
 * @throws TypeError when a token is not a non-empty string or token fields.
 */
export function staticTokenManager(tokens: StaticTokenInput | readonly StaticTokenInput[], options: StaticTokenManagerOptions = {}): StaticTokenManager {
	const createdAt = Date.now()
	const sequence = (Array.isArray(tokens) ? tokens : [tokens]).map((input, index) => resolveInput(input as StaticTokenInput, index, createdAt))
	if (sequence.length === 0) throw new TypeError('tokenwarden: staticTokenManager needs at least one token')
	if (typeof options !== 'object' || options === null) throw new TypeError('tokenwarden: staticTokenManager options must be an object')
	if (options.error !== undefined && !(options.error instanceof Error)) throw new TypeError('tokenwarden: staticTokenManager error must be an Error')
	const authorizeUrl = options.authorizeUrl ?? 'https://auth.invalid/authorize'
	const defaultRedirectUri = options.redirectUri ?? 'https://app.invalid/callback'
	const clientId = options.clientId ?? 'static-client'
	// The real manager builds the authorization URLs (state, PKCE, params), so they are exactly what an
	// application gets in production; it makes no request (clientAuth none, and only authorizationUrl is called).
	const urls = createTokenManager({ tokenUrl: 'https://auth.invalid/token', clientId, clientAuth: 'none', authorizeUrl, redirectUri: defaultRedirectUri })
	const calls: StaticTokenManagerCalls = { getToken: [], invalidate: [], authorizationUrl: [], exchangeCode: [], consent: [], revoke: [], logout: [] }
	const failures: Array<{ error: Error; remaining: number }> = []
	const initialConsents = (): Array<[string, readonly string[]]> => (options.consented ?? []).map((subject) => [subject, []])
	const consented = new Map<string, readonly string[]>(initialConsents())
	/** Token objects by position, scope and subject: the same request gets the same object, as from a cache. */
	const made = new Map<string, Token>()
	let position = 0

	function tokenFor(scope: readonly string[] | undefined, subject: string | undefined): Token {
		const fields = sequence[position] as ResolvedInput
		const granted = fields.scope ?? scope ?? []
		const key = JSON.stringify([position, granted, subject ?? null])
		let token = made.get(key)
		if (token === undefined) {
			token = maskedToken({ accessToken: fields.accessToken, tokenType: fields.tokenType, expiresAt: fields.expiresAt, scope: granted, subject })
			made.set(key, token)
		}
		return token
	}

	function resetCalls(): void {
		for (const list of Object.values(calls) as unknown[][]) list.length = 0
	}

	function advance(): void {
		if (position < sequence.length - 1) position++
	}

	return {
		calls,
		get current() {
			return tokenFor(undefined, undefined)
		},
		failNext(error, times = 1) {
			if (!(error instanceof Error)) throw new TypeError('tokenwarden: failNext takes an Error')
			if (!Number.isInteger(times) || times < 1) throw new TypeError('tokenwarden: failNext times must be a positive integer')
			failures.push({ error, remaining: times })
		},
		resetCalls,
		async clear() {
			resetCalls()
			position = 0
			failures.length = 0
			made.clear()
			consented.clear()
			for (const [subject, scope] of initialConsents()) consented.set(subject, scope)
		},

		async getToken(...args) {
			calls.getToken.push(args)
			const [request] = args
			if (request?.signal?.aborted) throw new AbortError(request.signal.reason)
			const failure = failures[0]
			if (failure !== undefined) {
				if (--failure.remaining === 0) failures.shift()
				throw failure.error
			}
			if (options.error !== undefined) throw options.error
			if (request?.forceRefresh === true) advance()
			return tokenFor(request?.scope === undefined ? undefined : normaliseScope(request.scope), request?.subject)
		},

		async invalidate(...args) {
			calls.invalidate.push(args)
			const [token] = args
			const accessToken = typeof token === 'string' ? token : token?.accessToken
			if (typeof accessToken !== 'string') throw new TypeError('tokenwarden: invalidate takes a token or its accessToken')
			// Compare-and-delete, like the real manager: only the token being handed out moves the sequence on.
			if (accessToken !== sequence[position]?.accessToken) return false
			advance()
			return true
		},

		async authorizationUrl(...args) {
			calls.authorizationUrl.push(args)
			return urls.authorizationUrl(...args)
		},

		async exchangeCode(...args) {
			calls.exchangeCode.push(args)
			const [request] = args
			const subject = requireSubject(request, 'exchangeCode')
			checkState(request.state, request.expectedState)
			const fields = sequence[position] as ResolvedInput
			consented.set(subject, fields.scope ?? [])
			return tokenFor(undefined, subject)
		},

		async consent(...args) {
			calls.consent.push(args)
			const subject = requireSubject(args[0], 'consent')
			const scope = consented.get(subject)
			if (scope === undefined) return undefined
			return { subject, scope, refreshExpiresAt: undefined } satisfies ConsentInfo
		},

		async revoke(...args) {
			calls.revoke.push(args)
			consented.delete(requireSubject(args[0], 'revoke'))
		},

		async logout(...args) {
			calls.logout.push(args)
			consented.delete(requireSubject(args[0], 'logout'))
		},
	}
}

/** The same check as the real manager's, so a call the real one would refuse fails here too. */
function requireSubject(request: { subject: string } | undefined, method: string): string {
	const subject = request?.subject
	if (typeof subject !== 'string' || subject === '') throw new TypeError(`tokenwarden: ${method} needs a subject`)
	return subject
}

interface ResolvedInput {
	accessToken: string
	tokenType: string
	expiresAt: number
	scope: string[] | undefined
}

function resolveInput(input: StaticTokenInput, index: number, createdAt: number): ResolvedInput {
	const fields = typeof input === 'string' ? { accessToken: input } : input
	if (typeof fields !== 'object' || fields === null || typeof fields.accessToken !== 'string' || fields.accessToken === '') {
		throw new TypeError(`tokenwarden: staticTokenManager token ${index + 1} must be a non-empty string or { accessToken }`)
	}
	if (fields.expiresAt !== undefined && !Number.isFinite(fields.expiresAt)) {
		throw new TypeError(`tokenwarden: staticTokenManager token ${index + 1} expiresAt must be epoch milliseconds`)
	}
	if (fields.tokenType !== undefined && (typeof fields.tokenType !== 'string' || fields.tokenType === '')) {
		throw new TypeError(`tokenwarden: staticTokenManager token ${index + 1} tokenType must be a non-empty string`)
	}
	return {
		accessToken: fields.accessToken,
		tokenType: fields.tokenType ?? 'Bearer',
		expiresAt: fields.expiresAt ?? createdAt + HOUR,
		scope: fields.scope === undefined ? undefined : normaliseScope(fields.scope),
	}
}

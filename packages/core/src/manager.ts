import PQueue from 'p-queue'
import { raceAbort } from './abort.js'
import { createToken } from './access-token.js'
import { type AuthorizationRequest, type AuthorizationUrlOptions, buildAuthorizationRequest, checkState } from './authorization-request.js'
import { cacheKey, grantKey } from './cache-key.js'
import { createClientAuthentication } from './client-auth.js'
import { AbortError, ConsentRequiredError, OAuthError, StoreFullError, StoreUnavailableError } from './errors.js'
import { createEmitter } from './events.js'
import { GuardedStore } from './guarded-store.js'
import { memoryStore } from './memory-store.js'
import { checkScopeCount, resolveOptions } from './resolve-options.js'
import { resolveRetry } from './retry.js'
import { revokeToken } from './revocation.js'
import { formatScope, normaliseScope } from './scope.js'
import { SingleFlight } from './single-flight.js'
import { createTransport } from './tls.js'
import { createRedactor } from './redaction.js'
import { requestToken, type TokenEndpointContext } from './token-endpoint.js'
import { rescuedRefreshToken, type TokenResponse } from './token-response.js'
import type { TokenManagerOptions } from './types/options.js'
import type { StoredTokenSet } from './types/store.js'
import type { Token, TokenRequest } from './types/token.js'

/** Arguments of {@link TokenManager.exchangeCode} ([RFC 6749 §4.1.3](https://www.rfc-editor.org/rfc/rfc6749#section-4.1.3)). */
export interface ExchangeCodeOptions {
	/** The `code` query parameter the provider redirected back with. */
	code: string
	/** The `state` query parameter the provider redirected back with. */
	state: string
	/** The state kept from {@link TokenManager.authorizationUrl}; a mismatch fails before any request. */
	expectedState: string
	/** PKCE verifier kept from {@link TokenManager.authorizationUrl}. */
	codeVerifier?: string | undefined
	/** The redirect URI used in the authorization request; defaults to the manager's `redirectUri`. */
	redirectUri?: string | undefined
	/** The account holder to store the tokens under. */
	subject: string
}

/** An account holder's consent as the manager knows it. */
export interface ConsentInfo {
	/** The account holder. */
	subject: string
	/** Scope the holder consented to. */
	scope: readonly string[]
	/** When the refresh token lapses (epoch ms), when known. */
	refreshExpiresAt: number | undefined
}

/** The token manager: see API.md. */
export interface TokenManager {
	/** An access token for the scope (and subject), from cache when usable, else from the token endpoint. */
	getToken(request?: TokenRequest): Promise<Token>
	/**
	 * Drops this token if it is still the cached one (compare-and-delete, in the shared store too).
	 * Call it after a 401. Resolves true when it dropped something.
	 */
	invalidate(token: Token | string): Promise<boolean>
	/** Builds the consent URL for an account holder ([RFC 6749 §4.1.1](https://www.rfc-editor.org/rfc/rfc6749#section-4.1.1)). */
	authorizationUrl(options?: AuthorizationUrlOptions): Promise<AuthorizationRequest>
	/** Exchanges the authorization code and stores the holder's token set under `subject`. */
	exchangeCode(options: ExchangeCodeOptions): Promise<Token>
	/** The holder's consent (scope, when the refresh token lapses), or undefined when there is none. */
	consent(request: { subject: string }): Promise<ConsentInfo | undefined>
	/** Revokes the holder's refresh token at the revocation endpoint ([RFC 7009](https://www.rfc-editor.org/rfc/rfc7009)), then forgets the set. */
	revoke(request: { subject: string }): Promise<void>
	/** Forgets the holder's token set, here and in the store. */
	logout(request: { subject: string }): Promise<void>
}

interface Target {
	key: string
	scope: string[]
	subject: string | undefined
}

interface Cached {
	token: Token
	target: Target
	requestedAt: number
	refreshAt: number
	staleAt: number
}

interface LocalGrant {
	record: StoredTokenSet
	/** Written here but not yet to the shared store (it was down): write it before anything else. */
	dirty: boolean
}

/** When the lifetime of a refresh token is unknown, the store keeps it this long. */
const UNKNOWN_GRANT_TTL = 366 * 24 * 60 * 60 * 1000
/** A lapsed refresh-token set stays a day longer, so the manager can say "expired" rather than "never consented". */
const EXPIRED_GRANT_GRACE = 24 * 60 * 60 * 1000
/** Scope of a holder's token requested without one: whatever the holder consented to. */
const CONSENTED_SCOPE: string[] = []
/** `replacing` value of a forced refresh with no local copy: nothing in the store may stand in for a new token. */
const SKIP_STORED = '\u0000skip-stored'
/** Past this many local entries, expired ones are swept before adding another. */
const LOCAL_SWEEP_AT = 10_000
/** Remembered (scope, subject) -> cache key translations; cleared wholesale past this. */
const MAX_MEMO_TARGETS = 1000
/** `setTimeout` cannot wait longer than this. */
const MAX_TIMER = 2 ** 31 - 1

/**
 * Creates a token manager. Nothing is requested until the first `getToken`.
 * Options are checked here: a mistake is a TypeError now, not a failed request later.
 */
export function createTokenManager(options: TokenManagerOptions): TokenManager {
	const config = resolveOptions(options)
	const { clock, tokenUrl, clientId } = config
	const emit = createEmitter(options.onEvent, options.logger)
	const authentication = createClientAuthentication(options, clock)
	const transport = createTransport(options.tls)
	const redact = createRedactor(authentication.secrets, authentication.basic)
	const retry = resolveRetry(options.retry)
	const queue = new PQueue({
		concurrency: config.concurrency,
		...(options.rateLimit ? { intervalCap: options.rateLimit.limit, interval: options.rateLimit.interval, strict: true } : {}),
	})
	const endpoint: TokenEndpointContext = {
		fetch: transport?.fetch ?? config.fetch,
		clock,
		timeout: config.timeout,
		retry,
		queue,
		authenticate: authentication.authenticate,
		defaultLifetime: config.defaultLifetime,
		onRetry: emit,
		redact,
		maxResponseBytes: config.maxResponseBytes,
	}
	// A lock holder may spend a whole request with its retries; wait that long before going it alone.
	const lockWait = config.timeout * (retry.limit + 1) + retry.maxDelay
	const store = new GuardedStore(options.store ?? memoryStore({ clock }), clock, config.timeout, lockWait, emit)
	if (!tokenUrl.startsWith('https:')) {
		options.logger?.warn('tokenwarden: tokenUrl is not https; RFC 6749 §3.2 requires TLS outside tests', { tokenUrl })
	}

	const local = new Map<string, Cached>()
	/** accessToken -> cache key, so `invalidate` finds the entry of a token by its value. */
	const keyOfToken = new Map<string, string>()
	/** The token last invalidated per key: never adopt it back from a shared store. */
	const rejected = new Map<string, string>()
	const refreshCooldown = new Map<string, number>()
	const flights = new SingleFlight<Token>()
	const grantLocks = new Map<string, Promise<unknown>>()
	const localGrants = new Map<string, LocalGrant>()
	const consentTimers = new Map<string, unknown>()
	const targets = new Map<string, Target>()
	/** state -> scope asked for in authorizationUrl, until exchangeCode. */
	const requestedScopes = new Map<string, string[]>()
	const defaultTarget: Target = { key: cacheKey(tokenUrl, clientId, config.scope, undefined), scope: config.scope, subject: undefined }

	function targetOf(request: TokenRequest): Target {
		if (request.scope !== undefined && typeof request.scope !== 'string' && !Array.isArray(request.scope)) {
			throw new TypeError('tokenwarden: getToken scope must be a string or an array of strings')
		}
		if (request.subject !== undefined && (typeof request.subject !== 'string' || request.subject === '')) {
			throw new TypeError('tokenwarden: getToken subject must be a non-empty string')
		}
		if (request.scope === undefined && request.subject === undefined) return defaultTarget
		// Callers repeat the same few scope/subject pairs: remember their targets so the cached path
		// skips normalising and key encoding (measured 1.6 µs -> 0.5 µs per call).
		const memo = `${typeof request.scope === 'string' ? request.scope : (request.scope?.join('\u0001') ?? '\u0002')}\u0000${request.subject ?? ''}`
		const known = targets.get(memo)
		if (known) return known
		// An account holder's token without an explicit scope is for what the holder consented to
		// (the grant's scope), not the manager's default scope, which is for client credentials.
		const scope = request.scope !== undefined ? checkScopeCount(normaliseScope(request.scope), config.maxScopes) : request.subject === undefined ? config.scope : CONSENTED_SCOPE
		const target = { key: cacheKey(tokenUrl, clientId, scope, request.subject), scope, subject: request.subject }
		if (targets.size >= MAX_MEMO_TARGETS) targets.clear()
		targets.set(memo, target)
		return target
	}

	function getToken(request?: TokenRequest): Promise<Token> {
		let target = defaultTarget
		let force = false
		let signal: AbortSignal | undefined
		if (request !== undefined) {
			try {
				target = targetOf(request)
			} catch (error) {
				return Promise.reject(error)
			}
			force = request.forceRefresh === true
			signal = request.signal
		}
		const cached = local.get(target.key)
		if (cached !== undefined && !force) {
			const now = clock.now()
			if (now < cached.staleAt) {
				if (now >= cached.refreshAt) refreshInBackground(cached, now)
				return Promise.resolve(cached.token)
			}
		}
		if (signal?.aborted) return Promise.reject(new AbortError(signal.reason))
		return raceAbort(acquire(target, force ? (cached?.token.accessToken ?? SKIP_STORED) : undefined), signal)
	}

	/** Single flight per key: joins the request in flight or starts one. */
	function acquire(target: Target, replacing: string | undefined): Promise<Token> {
		return flights.run(target.key, () => (target.subject === undefined ? obtainClientToken(target, replacing) : obtainHolderToken(target, replacing)))
	}

	function refreshInBackground(cached: Cached, now: number): void {
		const { key } = cached.target
		if (flights.has(key) || now < (refreshCooldown.get(key) ?? 0)) return
		acquire(cached.target, cached.token.accessToken).then(
			() => refreshCooldown.delete(key),
			(error: unknown) => {
				// Try again after a tenth of what is left (1 s to 30 s), so an outage is not hammered.
				const left = cached.token.expiresAt - clock.now()
				refreshCooldown.set(key, clock.now() + Math.min(30_000, Math.max(1_000, left / 10)))
				emit({ type: 'refresh-error', key, error: error as Error, subject: cached.target.subject })
			},
		)
	}

	/** An entry from the store that may be handed out instead of requesting a new token. */
	function usable(entry: StoredTokenSet | undefined, target: Target, replacing: string | undefined): entry is StoredTokenSet & { accessToken: string; expiresAt: number } {
		if (!entry?.accessToken || entry.expiresAt === undefined || replacing === SKIP_STORED) return false
		if (entry.accessToken === replacing || entry.accessToken === rejected.get(target.key)) return false
		// RFC 8705 §3: a certificate-bound token is only good with the certificate that obtained it.
		if (entry.certificateThumbprint !== undefined && entry.certificateThumbprint !== transport?.thumbprint) return false
		const timing = timingOf(entry.requestedAt, entry.expiresAt)
		return clock.now() < (replacing === undefined ? timing.staleAt : timing.refreshAt)
	}

	/**
	 * API.md: refresh starts `refreshAhead` before expiry and a token is never handed out within
	 * `expiryMargin` of it. Only a token whose whole lifetime is shorter than a setting cannot honour
	 * it: such a token refreshes at half its life and retires at three quarters, rather than being
	 * refreshed on every call or refused outright.
	 */
	function timingOf(requestedAt: number, expiresAt: number): { refreshAt: number; staleAt: number } {
		const lifetime = Math.max(0, expiresAt - requestedAt)
		return {
			refreshAt: expiresAt - (lifetime > config.refreshAhead ? config.refreshAhead : lifetime / 2),
			staleAt: expiresAt - (lifetime > config.expiryMargin ? config.expiryMargin : lifetime / 4),
		}
	}

	/** Makes an entry the local copy, unless the local copy is newer (a late result never overwrites a newer token). */
	function adopt(target: Target, entry: StoredTokenSet & { accessToken: string; expiresAt: number }): Token {
		const current = local.get(target.key)
		if (current && current.requestedAt > entry.requestedAt && clock.now() < current.staleAt) return current.token
		if (current) keyOfToken.delete(current.token.accessToken)
		const token = createToken({
			accessToken: entry.accessToken,
			tokenType: entry.tokenType ?? 'Bearer',
			expiresAt: entry.expiresAt,
			scope: entry.scope ?? target.scope,
			subject: target.subject,
		})
		if (local.size >= LOCAL_SWEEP_AT) sweepLocal()
		local.set(target.key, { token, target, requestedAt: entry.requestedAt, ...timingOf(entry.requestedAt, entry.expiresAt) })
		keyOfToken.set(entry.accessToken, target.key)
		return token
	}

	/** Many holders over a long run would otherwise leave one dead local entry each. */
	function sweepLocal(): void {
		const now = clock.now()
		for (const [key, cached] of local) {
			if (cached.token.expiresAt > now) continue
			local.delete(key)
			keyOfToken.delete(cached.token.accessToken)
			rejected.delete(key)
			refreshCooldown.delete(key)
		}
	}

	function accessEntry(response: TokenResponse, target: Target, requestedAt: number): StoredTokenSet & { accessToken: string; expiresAt: number } {
		return {
			version: 1,
			accessToken: response.accessToken,
			tokenType: response.tokenType,
			expiresAt: response.expiresAt,
			scope: response.scope ?? target.scope,
			requestedAt,
			certificateThumbprint: response.certificateThumbprint,
		}
	}

	/** Stores and adopts a fresh access token, and reports it. */
	async function keep(target: Target, response: TokenResponse, requestedAt: number, grantType: string): Promise<Token> {
		const entry = accessEntry(response, target, requestedAt)
		await store.set(target.key, entry, Math.max(1, entry.expiresAt - clock.now()))
		const token = adopt(target, entry)
		emit({
			type: 'token',
			key: target.key,
			grantType,
			expiresAt: entry.expiresAt,
			expirySource: response.source,
			clockSkew: response.clockSkew,
			...(response.shortLifetime !== undefined && { shortLifetime: response.shortLifetime }),
			subject: target.subject,
		})
		return token
	}

	async function obtainClientToken(target: Target, replacing: string | undefined): Promise<Token> {
		const stored = await store.get(target.key)
		if (usable(stored, target, replacing)) return adopt(target, stored)
		const lock = await store.lock(target.key)
		try {
			if (lock) {
				// Another process may have written a token while we waited for the lock.
				const again = await store.get(target.key)
				if (usable(again, target, replacing)) return adopt(target, again)
			}
			const params: Record<string, string> = { ...config.tokenParams, grant_type: 'client_credentials' }
			if (target.scope.length > 0) params.scope = formatScope(target.scope)
			const requestedAt = clock.now()
			const response = await requestToken(endpoint, tokenUrl, params)
			return await keep(target, response, requestedAt, 'client_credentials')
		} finally {
			await lock?.release().catch(() => {})
		}
	}

	/** Serialises everything that reads and rotates one holder's refresh token within this process. */
	function withGrant<T>(subject: string, task: () => Promise<T>): Promise<T> {
		const key = grantKey(tokenUrl, clientId, subject)
		const previous = grantLocks.get(key) ?? Promise.resolve()
		const run = previous.then(task, task)
		const tail = run.catch(() => {})
		grantLocks.set(key, tail)
		tail.then(() => {
			if (grantLocks.get(key) === tail) grantLocks.delete(key)
		})
		return run
	}

	async function readGrant(subject: string): Promise<StoredTokenSet | undefined> {
		const key = grantKey(tokenUrl, clientId, subject)
		const mine = localGrants.get(key)
		if (mine?.dirty) {
			await writeGrant(subject, mine.record).catch(() => {})
			return mine.record
		}
		const { failed, value } = await store.tryGet(key)
		if (failed) {
			// The store did not answer: our own copy if we have one; otherwise we do not know, which
			// is not "no consent" (saying so would make the caller drop a holder who is still connected).
			if (mine) return mine.record
			throw new StoreUnavailableError(subject)
		}
		if (value?.refreshToken === undefined) localGrants.delete(key)
		else localGrants.set(key, { record: value, dirty: false })
		return value
	}

	/** Keeps the rotated refresh token here first, then in the store; a store failure leaves it marked for a later write. */
	async function writeGrant(subject: string, record: StoredTokenSet): Promise<void> {
		const key = grantKey(tokenUrl, clientId, subject)
		const ttl = record.refreshExpiresAt === undefined ? UNKNOWN_GRANT_TTL : Math.max(1, record.refreshExpiresAt - clock.now()) + EXPIRED_GRANT_GRACE
		const slot: LocalGrant = { record, dirty: true }
		localGrants.set(key, slot)
		try {
			await store.setStrict(key, record, ttl)
			slot.dirty = false
		} catch (error) {
			if (error instanceof StoreFullError) {
				localGrants.delete(key)
				throw error
			}
		}
		scheduleConsentWarning(subject, record.refreshExpiresAt)
	}

	/**
	 * Forgets a holder here and in the store. With `spent`, the stored set is deleted only while it still
	 * holds that refresh token: another process may have rotated it meanwhile, and its set is alive.
	 */
	async function forgetHolder(subject: string, spent?: string): Promise<void> {
		const key = grantKey(tokenUrl, clientId, subject)
		localGrants.delete(key)
		const timer = consentTimers.get(subject)
		if (timer !== undefined) clock.clearTimeout(timer)
		consentTimers.delete(subject)
		const current = spent === undefined ? undefined : await store.tryGet(key)
		const alive = current !== undefined && (current.failed || (current.value?.refreshToken !== undefined && current.value.refreshToken !== spent))
		const deletions = alive ? [] : [store.delete(key), store.delete(cacheKey(tokenUrl, clientId, CONSENTED_SCOPE, subject))]
		for (const [cachedKey, cached] of local) {
			if (cached.target.subject !== subject) continue
			local.delete(cachedKey)
			keyOfToken.delete(cached.token.accessToken)
			deletions.push(store.delete(cachedKey))
		}
		await Promise.all(deletions)
	}

	async function consentRequired(subject: string, reason: ConsentRequiredError['reason'], cause?: unknown, spent?: string): Promise<never> {
		await forgetHolder(subject, spent)
		emit({ type: 'consent-required', subject, reason })
		throw new ConsentRequiredError(subject, reason, cause === undefined ? undefined : { cause })
	}

	function refreshExpiry(response: Pick<TokenResponse, 'refreshToken' | 'refreshExpiresIn'>, previous: StoredTokenSet | undefined, receivedAt: number): number | undefined {
		if (response.refreshToken === undefined) return previous?.refreshExpiresAt
		if (response.refreshExpiresIn !== undefined) return receivedAt + response.refreshExpiresIn
		return config.refreshTokenLifetime === undefined ? undefined : receivedAt + config.refreshTokenLifetime
	}

	/** Access token of an account holder: from the store, else by refreshing with the rotated refresh token ([RFC 6749 §6](https://www.rfc-editor.org/rfc/rfc6749#section-6)). */
	function obtainHolderToken(target: Target, replacing: string | undefined): Promise<Token> {
		const subject = target.subject as string
		return withGrant(subject, async () => {
			const stored = await store.get(target.key)
			if (usable(stored, target, replacing)) return adopt(target, stored)
			const lock = await store.lock(grantKey(tokenUrl, clientId, subject))
			try {
				if (lock) {
					const again = await store.get(target.key)
					if (usable(again, target, replacing)) return adopt(target, again)
				}
				return await refreshHolder(target, 0)
			} finally {
				await lock?.release().catch(() => {})
			}
		})
	}

	/** The refresh itself, under the holder's locks: read the refresh token, refresh, keep the rotated one first ([RFC 6749 §6](https://www.rfc-editor.org/rfc/rfc6749#section-6)). */
	async function refreshHolder(target: Target, attempt: number): Promise<Token> {
		const subject = target.subject as string
		// Read the refresh token only now, under the lock: another process may just have rotated it.
		const grant = await readGrant(subject)
		if (grant?.refreshToken === undefined) return await consentRequired(subject, 'no_refresh_token')
		if (grant.refreshExpiresAt !== undefined && clock.now() >= grant.refreshExpiresAt) {
			return await consentRequired(subject, 'refresh_token_expired')
		}
		const params: Record<string, string> = { ...config.tokenParams, grant_type: 'refresh_token', refresh_token: grant.refreshToken }
		const scope = target.scope.length > 0 ? target.scope : [...(grant.scope ?? [])]
		if (config.scopeOnRefresh && scope.length > 0) params.scope = formatScope(scope)
		let response: TokenResponse
		const requestedAt = clock.now()
		try {
			response = await requestToken(endpoint, tokenUrl, params, [grant.refreshToken], { onlyUnprocessed: true })
		} catch (error) {
			// RFC 6749 §5.2: invalid_grant means the refresh token is dead. Anything else (network,
			// 5xx) says nothing about it, so it is kept.
			if (error instanceof OAuthError && error.error === 'invalid_grant') {
				// Another process may have rotated the token under us (a lock that lapsed, a store
				// that was down): its successor in the store is alive, so try that once.
				const latest = attempt === 0 ? await store.tryGet(grantKey(tokenUrl, clientId, subject)) : undefined
				if (latest?.value?.refreshToken !== undefined && latest.value.refreshToken !== grant.refreshToken) {
					localGrants.set(grantKey(tokenUrl, clientId, subject), { record: latest.value, dirty: false })
					return await refreshHolder(target, attempt + 1)
				}
				return await consentRequired(subject, 'invalid_grant', error, grant.refreshToken)
			}
			// A 2xx we could not use may still carry the rotated refresh token: the old one is spent.
			const rotated = rescuedRefreshToken(error)
			if (rotated !== undefined)
				await writeGrant(subject, {
					...grant,
					version: 1,
					requestedAt,
					refreshToken: rotated,
					refreshExpiresAt: refreshExpiry({ refreshToken: rotated, refreshExpiresIn: undefined }, grant, clock.now()),
				})
			throw error
		}
		const receivedAt = clock.now()
		await writeGrant(subject, {
			version: 1,
			requestedAt,
			refreshToken: response.refreshToken ?? grant.refreshToken,
			refreshExpiresAt: refreshExpiry(response, grant, receivedAt),
			scope: grant.scope,
		})
		return await keep({ ...target, scope }, response, requestedAt, 'refresh_token')
	}

	function scheduleConsentWarning(subject: string, refreshExpiresAt: number | undefined): void {
		const previous = consentTimers.get(subject)
		if (previous !== undefined) clock.clearTimeout(previous)
		consentTimers.delete(subject)
		if (refreshExpiresAt === undefined) return
		const fire = () => {
			const wait = refreshExpiresAt - config.consentWarning - clock.now()
			if (wait > 0) {
				const timer = clock.setTimeout(fire, Math.min(wait, MAX_TIMER))
				// A reminder weeks away must not keep the process alive.
				;(timer as { unref?: () => void } | undefined)?.unref?.()
				consentTimers.set(subject, timer)
				return
			}
			consentTimers.delete(subject)
			emit({ type: 'consent-expiring', subject, refreshExpiresAt })
		}
		fire()
	}

	function requireSubject(request: { subject: string } | undefined, method: string): string {
		const subject = request?.subject
		if (typeof subject !== 'string' || subject === '') throw new TypeError(`tokenwarden: ${method} needs a subject`)
		return subject
	}

	function redirectUriOf(value: string | undefined, method: string): string {
		const redirectUri = value ?? options.redirectUri
		if (typeof redirectUri !== 'string' || redirectUri === '') {
			throw new TypeError(`tokenwarden: ${method} needs redirectUri (or the manager's redirectUri option)`)
		}
		return redirectUri
	}

	return {
		getToken,

		invalidate(token) {
			const accessToken = typeof token === 'string' ? token : token?.accessToken
			if (typeof accessToken !== 'string') return Promise.reject(new TypeError('tokenwarden: invalidate takes a token or its accessToken'))
			const key = keyOfToken.get(accessToken)
			if (key === undefined) return Promise.resolve(false)
			// Local compare-and-delete happens now, synchronously, so a getToken right after sees the miss.
			keyOfToken.delete(accessToken)
			if (local.get(key)?.token.accessToken === accessToken) local.delete(key)
			rejected.set(key, accessToken)
			emit({ type: 'invalidate', key })
			return store.compareAndDelete(key, accessToken).then(() => true)
		},

		async authorizationUrl(request = {}) {
			if (!options.authorizeUrl) throw new TypeError('tokenwarden: authorizationUrl needs the authorizeUrl option')
			const built = buildAuthorizationRequest(options.authorizeUrl, clientId, redirectUriOf(request.redirectUri, 'authorizationUrl'), request, config.scope)
			// Remember what was asked for, so exchangeCode can record the consented scope when the server does not echo it.
			if (requestedScopes.size >= MAX_MEMO_TARGETS) requestedScopes.delete(requestedScopes.keys().next().value as string)
			requestedScopes.set(built.state, request.scope === undefined ? config.scope : normaliseScope(request.scope))
			return built
		},

		async exchangeCode(request) {
			const subject = requireSubject(request, 'exchangeCode')
			checkState(request.state, request.expectedState)
			if (typeof request.code !== 'string' || request.code === '') throw new TypeError('tokenwarden: exchangeCode needs the code')
			const redirectUri = redirectUriOf(request.redirectUri, 'exchangeCode')
			return withGrant(subject, async () => {
				const requestedAt = clock.now()
				const params: Record<string, string> = { ...config.tokenParams, grant_type: 'authorization_code', code: request.code, redirect_uri: redirectUri }
				if (request.codeVerifier !== undefined) params.code_verifier = request.codeVerifier
				const lock = await store.lock(grantKey(tokenUrl, clientId, subject))
				try {
					// A code is single use: never resend it after the server may have redeemed it.
					const response = await requestToken(endpoint, tokenUrl, params, [request.code, request.codeVerifier ?? ''], { onlyUnprocessed: true })
					const consented = response.scope ?? requestedScopes.get(request.expectedState) ?? config.scope
					requestedScopes.delete(request.expectedState)
					const target: Target = { key: cacheKey(tokenUrl, clientId, CONSENTED_SCOPE, subject), scope: consented, subject }
					if (response.refreshToken !== undefined) {
						await writeGrant(subject, {
							version: 1,
							requestedAt,
							refreshToken: response.refreshToken,
							refreshExpiresAt: refreshExpiry(response, undefined, clock.now()),
							scope: consented,
						})
					} else {
						await forgetHolder(subject)
					}
					rejected.delete(target.key)
					return await keep(target, response, requestedAt, 'authorization_code')
				} finally {
					await lock?.release().catch(() => {})
				}
			})
		},

		async consent(request) {
			const subject = requireSubject(request, 'consent')
			const grant = await readGrant(subject)
			if (grant?.refreshToken === undefined) return undefined
			return { subject, scope: grant.scope ?? [], refreshExpiresAt: grant.refreshExpiresAt }
		},

		async revoke(request) {
			const subject = requireSubject(request, 'revoke')
			if (!options.revocationUrl) throw new TypeError('tokenwarden: revoke needs the revocationUrl option (RFC 7009 endpoint)')
			const revocationUrl = options.revocationUrl
			await withGrant(subject, async () => {
				const grant = await readGrant(subject)
				const accessToken = local.get(cacheKey(tokenUrl, clientId, CONSENTED_SCOPE, subject))?.token.accessToken
				const token = grant?.refreshToken ?? accessToken
				if (token !== undefined) {
					const hint = grant?.refreshToken ? 'refresh_token' : 'access_token'
					await revokeToken(endpoint, revocationUrl, token, hint)
				}
				await forgetHolder(subject)
			})
		},

		async logout(request) {
			const subject = requireSubject(request, 'logout')
			await withGrant(subject, () => forgetHolder(subject))
		},
	}
}

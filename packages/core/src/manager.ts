import PQueue from 'p-queue'
import { type AcquireContext, type AcquireMode, FRESH } from './acquisition.js'
import type { AuthorizationRequest, AuthorizationUrlOptions } from './authorization-request.js'
import { createClientAuthentication } from './client-auth.js'
import { type ClientTokenContext, obtainClientToken } from './client-token.js'
import { ConsentFlow } from './consent-flow.js'
import { AbortError, withContext } from './errors.js'
import { createEmitter, safeLog } from './events.js'
import { GuardedStore } from './guarded-store.js'
import { HolderGrants } from './holder-grants.js'
import { type HolderTokenContext, obtainHolderToken } from './holder-token.js'
import { KeyBackoff } from './key-backoff.js'
import { memoryStore } from './memory-store.js'
import { RateBudget } from './rate-limit.js'
import { resolveOptions } from './resolve-options.js'
import { resolveRetry } from './retry.js'
import { type FlightState, SingleFlight } from './single-flight.js'
import { type Target, Targets } from './target.js'
import { backgroundRetryAt } from './timing.js'
import { createTransport } from './tls.js'
import { CACHED_TOKEN } from './cached-token.js'
import { type CachedToken, TokenCache } from './token-cache.js'
import { createRedactor } from './redaction.js'
import { type TokenEndpointContext, tokenErrorEvent } from './token-endpoint.js'
import type { ConsentInfo, ExchangeCodeOptions } from './types/consent.js'
import type { TokenManagerOptions } from './types/options.js'
import type { TokenStore } from './types/store.js'
import type { Token, TokenRequest } from './types/token.js'

export type { ConsentInfo, ExchangeCodeOptions } from './types/consent.js'

/** The token manager: see the API contract, [docs/API.md](https://github.com/tokenwarden/tokenwarden/blob/main/docs/API.md). */
export interface TokenManager {
	/** An access token for the scope (and subject), from cache when usable, else from the token endpoint. */
	getToken(request?: TokenRequest): Promise<Token>
	/**
	 * Drops this token if it is still the cached one, under every key that holds it (compare-and-delete,
	 * in the shared store too). Call it after a 401. Resolves true when it dropped something.
	 *
	 * A token issued to replace an invalidated one is kept for a cooldown (5 s, doubling up to 60 s with
	 * each further drop): invalidating it within that time resolves false and `getToken` keeps returning
	 * it, so an API that rejects every token cannot make the manager storm the token endpoint.
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
	/**
	 * For applications' tests: resets the manager to its state at creation. Drops every cached token of
	 * this manager, stops its background work (refreshes between attempts, consent-expiry reminders,
	 * the outage backoff), forgets its in-flight requests (a caller still waiting for one gets its result
	 * or an `AbortError`), and empties the default memory store. A store passed as `store` (shared with
	 * other managers or processes) is left alone, and so are refresh-token sets still waiting to be
	 * written to it after an outage. Typical use: reset a module-level manager in `afterEach`.
	 */
	clear(): Promise<void>
}

/**
 * Creates a token manager. Nothing is requested until the first `getToken`.
 * Options are checked here: a mistake is a TypeError now, not a failed request later.
 *
 * The manager only composes the pieces (see docs/ARCHITECTURE.md): the token cache, the guarded store,
 * the token endpoint, the client-credentials and holder flows, and the consent flow.
 */
export function createTokenManager(options: TokenManagerOptions): TokenManager {
	const config = resolveOptions(options)
	const { clock, tokenUrl, clientId } = config
	const emit = createEmitter(options.onEvent, options.logger)
	const authentication = createClientAuthentication(options, clock)
	const transport = createTransport(options.tls)
	const retry = resolveRetry(options.retry)
	const endpoint: TokenEndpointContext = {
		fetch: transport?.fetch ?? config.fetch,
		clock,
		timeout: config.timeout,
		retry,
		queue: new PQueue({ concurrency: config.concurrency }),
		budget: options.rateLimit ? new RateBudget(options.rateLimit.limit, options.rateLimit.interval, clock) : undefined,
		backoff: new KeyBackoff(retry, config.random),
		authenticate: authentication.authenticate,
		defaultLifetime: config.defaultLifetime,
		emit,
		redact: createRedactor(authentication.secrets, authentication.basic),
		maxResponseBytes: config.maxResponseBytes,
		errorContext: { tokenUrl, clientId, clientAuth: config.clientAuth },
	}
	// A lock holder may spend a whole request with its retries; wait that long before going it alone.
	const lockWait = config.timeout * (retry.limit + 1) + retry.maxDelay
	const guard = (tokenStore: TokenStore) => new GuardedStore(tokenStore, clock, config.timeout, lockWait, emit)
	// A shared store outlives clear(): its guard keeps the pause and the pending refresh-token sets.
	const sharedStore = options.store === undefined ? undefined : guard(options.store)
	if (!tokenUrl.startsWith('https:') && options.logger) {
		safeLog(options.logger).warn('tokenwarden: tokenUrl is not https; RFC 6749 §3.2 requires TLS outside tests', { tokenUrl })
	}
	const targets = new Targets(tokenUrl, clientId, config.scope, config.maxScopes)

	/** Everything `clear()` resets: the cache, the flights, the holders' local state, and the default store. */
	function createState() {
		const store = sharedStore ?? guard(memoryStore({ clock }))
		// The holders' local copies are swept on the cache's beat (piggybacked on adopting a token, never a timer).
		const cache = new TokenCache(config, config.random, () => grants.sweep())
		const acquireContext: AcquireContext = { store, cache, clock, timing: config, emit, thumbprint: transport?.thumbprint }
		const grants: HolderGrants = new HolderGrants({ store, cache, targets, clock, emit, tokenUrl, clientId, consentWarning: config.consentWarning })
		const flowContext: ClientTokenContext & HolderTokenContext = {
			...acquireContext,
			endpoint,
			tokenUrl,
			tokenParams: config.tokenParams,
			scopeOnRefresh: config.scopeOnRefresh,
			refreshTokenLifetime: config.refreshTokenLifetime,
			grants,
		}
		const consentFlow = new ConsentFlow({
			...flowContext,
			targets,
			clientId,
			scope: config.scope,
			authorizeUrl: options.authorizeUrl,
			redirectUri: options.redirectUri,
			revocationUrl: options.revocationUrl,
		})
		return { store, cache, grants, flowContext, consentFlow, flights: new SingleFlight<Token>() }
	}
	let state = createState()
	let { cache, flights } = state

	/** The flight's task: the client-credentials or holder flow, reporting a failure callers waited for. */
	function obtain(target: Target, mode: AcquireMode, flight: FlightState): Promise<Token> {
		const { flowContext } = state
		const run = target.subject === undefined ? obtainClientToken(flowContext, target, mode, flight.signal) : obtainHolderToken(flowContext, target, mode, flight.signal)
		return run.catch((error: unknown) => {
			withContext(error, endpoint.errorContext)
			if (flight.foreground && !(error instanceof AbortError)) {
				emit(tokenErrorEvent(target.key, target.subject === undefined ? 'client_credentials' : 'refresh_token', target.subject, error))
			}
			throw error
		})
	}

	function refreshInBackground(target: Target, token: Token, now: number): void {
		if (flights.has(target.key) || !cache.mayRefreshInBackground(target.key, now)) return
		const started = cache
		flights
			.run(target.key, (flight) => obtain(target, { kind: 'replacing', token: token.accessToken }, flight), { background: true })
			.catch((error: unknown) => {
				if (error instanceof AbortError && started !== cache) return
				started.backgroundFailed(target.key, backgroundRetryAt(clock.now(), token.expiresAt))
				emit({ type: 'refresh-error', key: target.key, error: error as Error, subject: target.subject })
			})
	}

	/** The cached token of `target` while it is fresh (marked used, a refresh started when due), else undefined. */
	function usable(target: Target, cached: CachedToken): Token | undefined {
		const now = clock.now()
		if (now >= cached.staleAt) return undefined
		cache.used(cached, now)
		if (now >= cached.refreshAt) refreshInBackground(target, cached.token, now)
		return cached.token
	}

	/** `getToken`'s hot path without its promise, for adapters (see {@link CACHED_TOKEN}): undefined when it would wait or fail. */
	function cachedToken(request?: TokenRequest): Token | undefined {
		let target = targets.default
		if (request !== undefined) {
			if (request.forceRefresh === true) return undefined
			try {
				target = targets.resolve(request)
			} catch {
				return undefined
			}
		}
		const cached = cache.peek(target.key)
		return cached === undefined ? undefined : usable(target, cached)
	}

	function getToken(request?: TokenRequest): Promise<Token> {
		let target = targets.default
		let force = false
		let signal: AbortSignal | undefined
		if (request !== undefined) {
			try {
				target = targets.resolve(request)
			} catch (error) {
				return Promise.reject(error)
			}
			force = request.forceRefresh === true
			signal = request.signal
		}
		// The hot path: the token in hand, no store I/O.
		const cached = cache.peek(target.key)
		if (cached !== undefined && !force) {
			const token = usable(target, cached)
			if (token !== undefined) return Promise.resolve(token)
		}
		if (signal?.aborted) return Promise.reject(new AbortError(signal.reason))
		const mode: AcquireMode = !force ? FRESH : cached ? { kind: 'replacing', token: cached.token.accessToken } : { kind: 'forced' }
		return flights.run(target.key, (flight) => obtain(target, mode, flight), { signal })
	}

	function invalidate(token: Token | string): Promise<boolean> {
		const accessToken = typeof token === 'string' ? token : token?.accessToken
		if (typeof accessToken !== 'string') return Promise.reject(new TypeError('tokenwarden: invalidate takes a token or its accessToken'))
		// The local compare-and-delete happens now, synchronously, so a getToken right after sees the miss.
		const { dropped } = cache.invalidate(accessToken, clock.now())
		if (dropped.length === 0) return Promise.resolve(false)
		for (const key of dropped) emit({ type: 'invalidate', key })
		const { store } = state
		return Promise.all(dropped.map((key) => store.compareAndDelete(key, accessToken))).then(() => true)
	}

	function clear(): Promise<void> {
		const previous = state
		previous.flights.clear(new AbortError('tokenwarden: the manager was cleared'))
		previous.grants.dispose()
		previous.cache.clear()
		endpoint.backoff.clear()
		state = createState()
		;({ cache, flights } = state)
		return Promise.resolve()
	}

	const manager: TokenManager = {
		getToken,
		invalidate,
		authorizationUrl: (request) => state.consentFlow.authorizationUrl(request),
		exchangeCode: (request) => state.consentFlow.exchangeCode(request),
		consent: (request) => state.consentFlow.consent(request),
		revoke: (request) => state.consentFlow.revoke(request),
		logout: (request) => state.consentFlow.logout(request),
		clear,
	}
	// Not enumerable and keyed by a registered symbol: adapters of either module copy (ESM, CJS) find it.
	Object.defineProperty(manager, CACHED_TOKEN, { value: cachedToken })
	return manager
}

import { createToken } from './access-token.js'
import type { Target } from './target.js'
import { type TimingPolicy, tokenTiming } from './timing.js'
import type { StoredTokenSet } from './types/store.js'
import type { Token } from './types/token.js'

/** A stored entry that carries an access token (what the cache can adopt). */
export type AccessEntry = StoredTokenSet & { readonly accessToken: string; readonly expiresAt: number }

/**
 * Rejection cooldown (issue 13): a token obtained to replace an invalidated one is not dropped again
 * before this long after that invalidate; the wait doubles with each further drop of the key's token.
 */
export const FIRST_COOLDOWN = 5_000
/** The longest rejection cooldown. */
export const MAX_COOLDOWN = 60_000
/** After this long without any invalidate of the key's token, the cooldown starts again from {@link FIRST_COOLDOWN}. */
export const QUIET_PERIOD = 2 * MAX_COOLDOWN

/** Past this many entries, a new one sweeps first; the bound then doubles past what survived, so sweeping stays amortised O(1). */
const SWEEP_AT = 10_000
/**
 * An entry not used (no `getToken` served from it, nothing adopted into it) for this long is dropped
 * from process memory by the next sweep (issue 19); its token stays in the store, so the next call for
 * it reads the store rather than the token endpoint.
 */
export const IDLE_TTL = 10 * 60_000
/** A sweep runs at most this often, piggybacked on the cold path (adopt), never on a timer per entry. */
export const SWEEP_INTERVAL = IDLE_TTL / 2
/** Adoptions within one window of this many ms that count as one burst. */
const BURST_WINDOW = 1_000
/** More adoptions than this in one burst window, and the next ones' background refreshes are spread. */
export const BURST_SIZE = 8
/** Share of the window between refresh-at and stale-at over which a burst's refreshes are spread; the rest is left for the refresh to land. */
export const SPREAD_SHARE = 0.5

/** Everything the manager knows about one cache key. */
interface Entry {
	readonly target: Target
	/** The token handed out for the key, while there is one. */
	token: Token | undefined
	/** When the request that produced `token` started: a late result never replaces a newer one. */
	requestedAt: number
	refreshAt: number
	staleAt: number
	/** The token last invalidated for the key: never adopted back from a shared store. */
	rejected: string | undefined
	/** No background refresh before this (after one failed). */
	backgroundRetryAt: number
	/** Current rejection cooldown, ms (0: none). */
	cooldown: number
	/** The token adopted next replaces an invalidated one, and is protected until then (0: none pending). */
	protectNextUntil: number
	/** The token protected from invalidation, and until when. */
	protectedToken: string | undefined
	protectedUntil: number
	/** Last invalidate of the key's current token, dropped or not. */
	lastRejectionAt: number
	/** Last time a token was served from the entry or adopted into it (the idle sweep). */
	usedAt: number
}

/** What the hot path reads of an entry. */
export interface CachedToken {
	readonly token: Token
	readonly refreshAt: number
	readonly staleAt: number
	readonly target: Target
}

/** The outcome of one invalidate. */
export interface Invalidation {
	/** Keys whose entry was dropped (their shared-store entries should be compare-and-deleted too). */
	readonly dropped: readonly string[]
	/** Keys that kept the token because it was freshly issued after an invalidate (rejection cooldown). */
	readonly kept: readonly string[]
}

/**
 * The access-token cache: one entry per cache key owning its token, the token's timing, the token last
 * rejected, the background-refresh cooldown and the rejection cooldown; and an index from token value
 * to every key that holds it (a server may return one token for two scopes). Adopting (newer wins),
 * invalidating, dropping a holder's entries and sweeping happen here and nowhere else.
 *
 * In the spirit of TanStack query-core's QueryCache: the cache indexes entries, each entry owns its state.
 */
export class TokenCache {
	readonly #entries = new Map<string, Entry>()
	/** Token value -> the key holding it (almost always one), or the keys when several do. */
	readonly #keysOfToken = new Map<string, string | Set<string>>()
	readonly #timing: TimingPolicy
	readonly #random: () => number
	#sweepAtSize = SWEEP_AT
	#nextSweepAt = 0
	#burstWindow = 0
	#burstCount = 0

	readonly #onIdleSweep: () => void

	/**
	 * @param random jitter source for spreading the refreshes of a burst (values in [0, 1))
	 * @param onIdleSweep called after each periodic sweep, so other per-holder state is swept on the same beat
	 */
	constructor(timing: TimingPolicy, random: () => number = Math.random, onIdleSweep: () => void = () => {}) {
		this.#timing = timing
		this.#random = random
		this.#onIdleSweep = onIdleSweep
	}

	/** Number of entries (with or without a token). */
	get size(): number {
		return this.#entries.size
	}

	/** The token of a key, with its timing, or undefined when there is none. */
	peek(key: string): CachedToken | undefined {
		const entry = this.#entries.get(key)
		return entry?.token === undefined ? undefined : (entry as Entry & { token: Token })
	}

	/** Marks a token as served now (the hot path), so the idle sweep keeps its entry. */
	used(cached: CachedToken, now: number): void {
		;(cached as Entry).usedAt = now
	}

	/** The token last invalidated for the key. */
	rejectedOf(key: string): string | undefined {
		return this.#entries.get(key)?.rejected
	}

	/** Whether a background refresh may start now (none failed recently). */
	mayRefreshInBackground(key: string, now: number): boolean {
		return now >= (this.#entries.get(key)?.backgroundRetryAt ?? 0)
	}

	/** Records when the next background refresh may start, after one failed. */
	backgroundFailed(key: string, retryAt: number): void {
		const entry = this.#entries.get(key)
		if (entry) entry.backgroundRetryAt = retryAt
	}

	/**
	 * Makes an entry the key's token, unless the one held is newer and still usable (a late result never
	 * replaces a newer token). Returns the token the key now holds.
	 */
	adopt(target: Target, stored: AccessEntry, now: number): Token {
		let entry = this.#entries.get(target.key)
		if (entry?.token !== undefined && entry.requestedAt > stored.requestedAt && now < entry.staleAt) return entry.token
		if (now >= this.#nextSweepAt) {
			this.sweep(now)
			this.#onIdleSweep()
			entry = this.#entries.get(target.key)
		}
		if (entry === undefined) {
			if (this.#entries.size >= this.#sweepAtSize) {
				this.sweep(now)
				this.#sweepAtSize = Math.max(SWEEP_AT, 2 * this.#entries.size)
			}
			entry = {
				target,
				token: undefined,
				requestedAt: 0,
				refreshAt: 0,
				staleAt: 0,
				rejected: undefined,
				backgroundRetryAt: 0,
				cooldown: 0,
				protectNextUntil: 0,
				protectedToken: undefined,
				protectedUntil: 0,
				lastRejectionAt: 0,
				usedAt: now,
			}
			this.#entries.set(target.key, entry)
		}
		if (entry.token !== undefined) this.#unindex(entry.token.accessToken, target.key)
		const token = createToken({
			accessToken: stored.accessToken,
			tokenType: stored.tokenType ?? 'Bearer',
			expiresAt: stored.expiresAt,
			scope: stored.scope ?? target.scope,
			subject: target.subject,
		})
		const timing = tokenTiming(stored.requestedAt, stored.expiresAt, this.#timing)
		entry.token = token
		entry.requestedAt = stored.requestedAt
		entry.refreshAt = this.#inBurst(now) ? spread(timing.refreshAt, timing.staleAt, this.#random()) : timing.refreshAt
		entry.staleAt = timing.staleAt
		entry.usedAt = now
		entry.backgroundRetryAt = 0
		if (entry.protectNextUntil > 0) {
			// The replacement of an invalidated token: protected from the next rejection for the cooldown.
			entry.protectedToken = stored.accessToken
			entry.protectedUntil = entry.protectNextUntil
			entry.protectNextUntil = 0
		} else {
			// Obtained in the normal course (expiry, refresh ahead, forceRefresh): the back-off starts over.
			entry.protectedToken = undefined
			entry.protectedUntil = 0
			entry.cooldown = 0
		}
		this.#index(stored.accessToken, target.key)
		return token
	}

	/** Counts an adoption; true when it is part of a burst (more than {@link BURST_SIZE} in one window). */
	#inBurst(now: number): boolean {
		const window = Math.floor(now / BURST_WINDOW)
		if (window !== this.#burstWindow) {
			this.#burstWindow = window
			this.#burstCount = 0
		}
		return ++this.#burstCount > BURST_SIZE
	}

	/**
	 * Compare-and-delete of a token under every key that holds it. A key whose token was issued to
	 * replace an invalidated one keeps it while the rejection cooldown lasts: the server rejecting a token
	 * it just issued is not the token's fault, and dropping it again would storm the token endpoint.
	 *
	 * The cooldown starts at {@link FIRST_COOLDOWN} at the first drop, doubles with each further drop up
	 * to {@link MAX_COOLDOWN}, and starts over when the key obtains a token in the normal course or after
	 * {@link QUIET_PERIOD} without an invalidate.
	 */
	invalidate(accessToken: string, now: number): Invalidation {
		const indexed = this.#keysOfToken.get(accessToken)
		if (indexed === undefined) return { dropped: [], kept: [] }
		const dropped: string[] = []
		const kept: string[] = []
		for (const key of typeof indexed === 'string' ? [indexed] : [...indexed]) {
			const entry = this.#entries.get(key)
			if (entry?.token?.accessToken !== accessToken) {
				this.#unindex(accessToken, key)
				continue
			}
			if (now - entry.lastRejectionAt > QUIET_PERIOD) {
				entry.cooldown = 0
				entry.protectedUntil = 0
			}
			entry.lastRejectionAt = now
			if (entry.protectedToken === accessToken && now < entry.protectedUntil) {
				kept.push(key)
				continue
			}
			this.#unindex(accessToken, key)
			entry.token = undefined
			entry.rejected = accessToken
			entry.cooldown = entry.cooldown === 0 ? FIRST_COOLDOWN : Math.min(MAX_COOLDOWN, entry.cooldown * 2)
			entry.protectNextUntil = now + entry.cooldown
			entry.protectedToken = undefined
			dropped.push(key)
		}
		return { dropped, kept }
	}

	/** Forgets every entry of an account holder; returns their keys. */
	dropSubject(subject: string): string[] {
		const keys: string[] = []
		for (const [key, entry] of this.#entries) {
			if (entry.target.subject !== subject) continue
			if (entry.token !== undefined) this.#unindex(entry.token.accessToken, key)
			this.#entries.delete(key)
			keys.push(key)
		}
		return keys
	}

	/** Drops the key's token (but keeps its rejection state), for example when the set it came from is gone. */
	forget(key: string): void {
		const entry = this.#entries.get(key)
		if (entry?.token === undefined) return
		this.#unindex(entry.token.accessToken, key)
		entry.token = undefined
	}

	/**
	 * Removes entries that hold nothing worth keeping: an expired token or none, or a token not used for
	 * {@link IDLE_TTL} (it stays in the store); never one with a recent rejection, whose cooldown matters.
	 */
	sweep(now: number): void {
		this.#nextSweepAt = now + SWEEP_INTERVAL
		for (const [key, entry] of this.#entries) {
			if (entry.token !== undefined && entry.token.expiresAt > now && now - entry.usedAt < IDLE_TTL) continue
			if (now - entry.lastRejectionAt <= QUIET_PERIOD && entry.lastRejectionAt > 0) continue
			if (entry.token !== undefined) this.#unindex(entry.token.accessToken, key)
			this.#entries.delete(key)
		}
	}

	/** Forgets every entry (the manager's `clear`). */
	clear(): void {
		this.#entries.clear()
		this.#keysOfToken.clear()
		this.#sweepAtSize = SWEEP_AT
	}

	#index(accessToken: string, key: string): void {
		const indexed = this.#keysOfToken.get(accessToken)
		if (indexed === undefined || indexed === key) this.#keysOfToken.set(accessToken, key)
		else if (typeof indexed === 'string') this.#keysOfToken.set(accessToken, new Set([indexed, key]))
		else indexed.add(key)
	}

	#unindex(accessToken: string, key: string): void {
		const indexed = this.#keysOfToken.get(accessToken)
		if (indexed === undefined) return
		if (typeof indexed === 'string') {
			if (indexed === key) this.#keysOfToken.delete(accessToken)
			return
		}
		indexed.delete(key)
		if (indexed.size === 1) this.#keysOfToken.set(accessToken, indexed.values().next().value as string)
		else if (indexed.size === 0) this.#keysOfToken.delete(accessToken)
	}
}

/**
 * Refresh spreading (issue 19): tokens adopted in a burst (a deploy, a migration, 10,000 holders
 * consenting in one campaign) would all fall due in the same second. Each one's refresh moves to a
 * random point in the first {@link SPREAD_SHARE} of its window between refresh-at and stale-at, so the
 * token endpoint and the `rateLimit` budget see a smooth rate, and no refresh starts past the retire
 * time. Deterministic for a given random source.
 */
export function spread(refreshAt: number, staleAt: number, random: number): number {
	return staleAt > refreshAt ? refreshAt + Math.floor(random * SPREAD_SHARE * (staleAt - refreshAt)) : refreshAt
}

import { grantKey } from './cache-key.js'
import { StoreUnavailableError } from './errors.js'
import type { Emit } from './events.js'
import { type GuardedStore, isNewerGrant } from './guarded-store.js'
import { Schedule } from './schedule.js'
import { CONSENTED_SCOPE, type Targets } from './target.js'
import type { TokenCache } from './token-cache.js'
import type { Clock } from './types/options.js'
import type { StoredTokenSet } from './types/store.js'

/** When the lifetime of a refresh token is unknown, the store keeps it this long. */
const UNKNOWN_GRANT_TTL = 366 * 24 * 60 * 60 * 1000
/** A lapsed refresh-token set stays a day longer, so the manager can say "expired" rather than "never consented". */
const EXPIRED_GRANT_GRACE = 24 * 60 * 60 * 1000

export interface HolderGrantsContext {
	readonly store: GuardedStore
	readonly cache: TokenCache
	readonly targets: Targets
	readonly clock: Clock
	readonly emit: Emit
	readonly tokenUrl: string
	readonly clientId: string
	/** Emit `consent-expiring` this long before a refresh token lapses. */
	readonly consentWarning: number
}

/**
 * Account holders' refresh-token sets ([RFC 6749 §6](https://www.rfc-editor.org/rfc/rfc6749#section-6)): one
 * per subject, shared by every scope asked for on the holder's behalf.
 *
 * What this module owns:
 * - the per-subject serialisation within the process (everything that reads and rotates one holder's
 *   refresh token runs in turn);
 * - the local copy of each set, and the rule for which set to spend: the store's, unless this process
 *   holds a set the store has not got yet (a pending write, see {@link GuardedStore.saveGrant}), which
 *   is written first and then spent; when the store cannot be read nothing is spent
 *   ({@link StoreUnavailableError}): the local copy may have been rotated by another process since, and
 *   a pending set spent before its write lands would leave that write to land after its successor;
 * - saving a rotated set before its access token is handed out;
 * - forgetting a holder, but only once the store holds no live successor of the spent token.
 */
export class HolderGrants {
	readonly #context: HolderGrantsContext
	readonly #locks = new Map<string, Promise<unknown>>()
	/**
	 * The last set this process read from or wrote to the store, per grant key, in two generations: a
	 * sweep makes the young one old and drops the old one, so a copy untouched for two sweeps is gone
	 * from process memory (the store keeps the set) without a timestamp per holder.
	 */
	#local = new Map<string, StoredTokenSet>()
	#older = new Map<string, StoredTokenSet>()
	/** Consent-expiry reminders of every holder, on one timer. */
	readonly #reminders: Schedule<string, number>

	constructor(context: HolderGrantsContext) {
		this.#context = context
		this.#reminders = new Schedule(context.clock, (subject, refreshExpiresAt) => context.emit({ type: 'consent-expiring', subject, refreshExpiresAt }))
	}

	/** Holders with a consent-expiry reminder scheduled. */
	get reminders(): number {
		return this.#reminders.size
	}

	/** Drops local copies of sets untouched since the sweep before last (see {@link HolderGrants}). Reminders stay. */
	sweep(): void {
		this.#older = this.#local
		this.#local = new Map()
	}

	/** Forgets every local copy and reminder and stops the reminder timer (the manager's `clear`). Pending writes stay with the guarded store. */
	dispose(): void {
		this.#local.clear()
		this.#older.clear()
		this.#reminders.clear()
	}

	/** The store key of a holder's set. */
	keyOf(subject: string): string {
		return grantKey(this.#context.tokenUrl, this.#context.clientId, subject)
	}

	/** Runs `task` after every earlier task of the same holder in this process. */
	serialise<T>(subject: string, task: () => Promise<T>): Promise<T> {
		const key = this.keyOf(subject)
		const previous = this.#locks.get(key) ?? Promise.resolve()
		const run = previous.then(task, task)
		const tail = run.catch(() => {})
		this.#locks.set(key, tail)
		tail.then(() => {
			if (this.#locks.get(key) === tail) this.#locks.delete(key)
		})
		return run
	}

	/**
	 * The set to spend now: read under the holder's locks, since another process may just have rotated it.
	 * Throws {@link StoreUnavailableError} when the store cannot be read and this process has no pending set.
	 */
	async current(subject: string): Promise<StoredTokenSet | undefined> {
		const key = this.keyOf(subject)
		const { store } = this.#context
		const pending = store.pendingGrant(key)
		const read = await store.tryGet(key)
		// Unreadable: nothing is spent, not even a set only this process holds. Spending it would leave its
		// queued write behind a newer set that exists only here; when the store came back that write could
		// land, and another process would spend an already spent token (with reuse detection the whole
		// family is revoked). The holder's cached access token serves callers meanwhile.
		if (read.failed) throw new StoreUnavailableError(subject)
		const stored = read.value
		if (pending) {
			if (isNewerGrant(stored, pending)) {
				// Another process wrote a later set while this one was cut off: ours is superseded.
				store.dropPending(key, pending)
				return this.#confirmed(key, stored as StoredTokenSet)
			}
			// The store is back and has not got it: write it now, before spending it.
			await this.save(subject, pending)
			return pending
		}
		// Readable, the store is the truth: a set deleted there was deleted on purpose (logout, revoke).
		if (stored?.refreshToken === undefined) {
			this.#dropLocal(key)
			return undefined
		}
		return this.#confirmed(key, stored)
	}

	/** What is known of a holder's set without spending it: the store's, or during an outage the copy this process holds. */
	async known(subject: string): Promise<StoredTokenSet | undefined> {
		const key = this.keyOf(subject)
		const pending = this.#context.store.pendingGrant(key)
		const read = await this.#context.store.tryGet(key)
		if (!read.failed) return pending && !isNewerGrant(read.value, pending) ? pending : read.value
		const copy = pending ?? this.#localCopy(key)
		if (copy === undefined) throw new StoreUnavailableError(subject)
		return copy
	}

	/** Takes a set read from the store as the holder's current one (a successor found after `invalid_grant`). */
	adopt(subject: string, set: StoredTokenSet): void {
		this.#confirmed(this.keyOf(subject), set)
	}

	/**
	 * Saves a holder's set: here first, then in the store. In a store outage the set stays pending (written
	 * when the pause ends); a store that refuses it (for example StoreFullError) fails the call.
	 */
	async save(subject: string, set: StoredTokenSet): Promise<void> {
		const key = this.keyOf(subject)
		const { clock, store } = this.#context
		const ttl = set.refreshExpiresAt === undefined ? UNKNOWN_GRANT_TTL : Math.max(1, set.refreshExpiresAt - clock.now()) + EXPIRED_GRANT_GRACE
		this.#confirmed(key, set)
		try {
			await store.saveGrant(key, set, ttl)
		} catch (error) {
			this.#dropLocal(key)
			throw error
		}
		this.#scheduleConsentWarning(subject, set.refreshExpiresAt)
	}

	/**
	 * Forgets a holder here and in the store. With `spent`, the stored set is deleted only while it still
	 * holds that refresh token (or none): another process may have rotated it meanwhile, and its set is
	 * alive. A store that cannot be read keeps the set too. Resolves whether the set is gone.
	 */
	async forget(subject: string, spent?: string): Promise<boolean> {
		const key = this.keyOf(subject)
		const { store, cache, targets } = this.#context
		const pending = store.pendingGrant(key)
		if (spent === undefined || pending?.refreshToken === spent) store.dropPending(key)
		this.#dropLocal(key)
		this.#reminders.delete(subject)
		let alive = false
		if (spent !== undefined) {
			const current = await store.tryGet(key)
			alive = current.failed || (current.value?.refreshToken !== undefined && current.value.refreshToken !== spent)
		}
		const deletions = alive ? [] : [store.delete(key), store.delete(targets.of(CONSENTED_SCOPE, subject).key)]
		for (const cachedKey of cache.dropSubject(subject)) deletions.push(store.delete(cachedKey))
		await Promise.all(deletions)
		return !alive
	}

	#confirmed(key: string, set: StoredTokenSet): StoredTokenSet {
		this.#local.set(key, set)
		this.#older.delete(key)
		return set
	}

	#localCopy(key: string): StoredTokenSet | undefined {
		return this.#local.get(key) ?? this.#older.get(key)
	}

	#dropLocal(key: string): void {
		this.#local.delete(key)
		this.#older.delete(key)
	}

	/** One reminder per holder, `consentWarning` before its refresh token lapses; at once when that is already past. */
	#scheduleConsentWarning(subject: string, refreshExpiresAt: number | undefined): void {
		const { clock, consentWarning, emit } = this.#context
		this.#reminders.delete(subject)
		if (refreshExpiresAt === undefined) return
		const at = refreshExpiresAt - consentWarning
		if (at > clock.now()) this.#reminders.set(subject, at, refreshExpiresAt)
		else emit({ type: 'consent-expiring', subject, refreshExpiresAt })
	}
}

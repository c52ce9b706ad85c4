import type { StoreErrorEvent } from './types/events.js'
import type { Clock } from './types/options.js'
import type { StoredTokenSet, StoreFailureKind, StoreLock, TokenStore } from './types/store.js'

/** How long a store that failed or timed out is left alone before the next call tries it again. */
const MIN_PAUSE = 1_000
const MAX_PAUSE = 10_000

/** How a store failure is classified (see the store contract in types/store.ts): an outage unless the error says it is a refusal. */
export function storeFailureKind(error: unknown): StoreFailureKind {
	return (error as { storeFailure?: unknown } | null | undefined)?.storeFailure === 'refused' ? 'refused' : 'outage'
}

/** A refresh-token set that could not be written yet. */
interface PendingWrite {
	readonly value: StoredTokenSet
	/** After this (epoch ms) the set would have expired in the store anyway. */
	readonly deadline: number
}

/**
 * Whether `stored` must be kept rather than replaced by `candidate`: it holds another refresh token,
 * obtained by a request that started later. (On a tie the candidate wins: it is the set this process
 * knows to be the successor of what it spent.)
 */
export function isNewerGrant(stored: StoredTokenSet | undefined, candidate: StoredTokenSet): boolean {
	return stored?.refreshToken !== undefined && stored.refreshToken !== candidate.refreshToken && stored.requestedAt > candidate.requestedAt
}

/**
 * The manager's view of a store: every call bounded by `timeout`, and a failure reported as a
 * `store-error` event and answered with a safe fallback, so a shared store that is down or slow
 * degrades to in-process single flight instead of failing or hanging callers.
 *
 * After an outage (any failure the store does not mark as a refusal, whatever the error's class, and
 * any call that outlives `timeout`) the store is skipped for a short pause (the manager's `timeout`,
 * 1 to 10 s), so a Redis that stopped answering costs one timeout, not one per store call of every cache
 * miss; the first call after the pause tries it again, and the manager is back on the shared store once
 * it answers.
 *
 * Refresh-token sets are written with {@link GuardedStore.saveGrant}: a set that cannot be written in an
 * outage is kept here as a pending write (the newest per key) and written when the pause ends, never
 * over a set holding another refresh token issued later: the store is read first, so this holds for
 * every store, also one whose `set` lets a lock holder overwrite. A refused write fails the caller.
 */
export class GuardedStore {
	readonly #store: TokenStore
	readonly #clock: Clock
	readonly #timeout: number
	readonly #lockWait: number
	readonly #report: (event: StoreErrorEvent) => void
	/** Until when the store is skipped after a failure (epoch ms). */
	#pausedUntil = 0
	readonly #pending = new Map<string, PendingWrite>()
	/** Callers waiting for a key to have no pending set any more. */
	readonly #settledWaiters = new Map<string, Array<() => void>>()
	#flushTimer: unknown
	#flushing: Promise<void> | undefined

	/**
	 * @param timeout bound on each store call (the manager's request timeout)
	 * @param lockWait bound on waiting for the fleet lock, which a healthy peer may hold for a whole token request with retries
	 */
	constructor(store: TokenStore, clock: Clock, timeout: number, lockWait: number, report: (event: StoreErrorEvent) => void) {
		this.#store = store
		this.#clock = clock
		this.#timeout = timeout
		this.#lockWait = lockWait
		this.#report = report
	}

	get(key: string): Promise<StoredTokenSet | undefined> {
		return this.#guard('get', () => this.#store.get(key), undefined)
	}

	/** Like `get`, but tells a failed (or skipped) read apart from a missing entry: for refresh-token sets the difference matters. */
	async tryGet(key: string): Promise<{ failed: boolean; value: StoredTokenSet | undefined }> {
		const failed = Symbol('failed')
		const value = await this.#guard<StoredTokenSet | undefined | typeof failed>('get', () => this.#store.get(key), failed)
		return value === failed ? { failed: true, value: undefined } : { failed: false, value }
	}

	set(key: string, value: StoredTokenSet, ttl: number): Promise<void> {
		return this.#guard('set', () => this.#store.set(key, value, { ttl }), undefined)
	}

	/**
	 * Writes a refresh-token set that must not be lost. Resolves `'saved'` once the store has it, or
	 * `'pending'` when the store is in an outage: the set is then kept here and written when the pause
	 * ends (see {@link GuardedStore.pendingGrant}). Rejects when the store refuses it (for example
	 * `StoreFullError`).
	 */
	async saveGrant(key: string, value: StoredTokenSet, ttl: number): Promise<'saved' | 'pending'> {
		if (this.#paused()) {
			this.#remember(key, value, ttl)
			return 'pending'
		}
		try {
			await this.#bounded(() => this.#store.set(key, value, { ttl }))
		} catch (error) {
			this.#failed('set', error)
			if (storeFailureKind(error) === 'refused') throw error
			this.#remember(key, value, ttl)
			return 'pending'
		}
		const pending = this.#pending.get(key)
		if (pending && pending.value.requestedAt <= value.requestedAt) this.#settle(key)
		return 'saved'
	}

	/** The set written with `saveGrant` that has not reached the store yet, if any: only this process knows it. */
	pendingGrant(key: string): StoredTokenSet | undefined {
		return this.#pending.get(key)?.value
	}

	/**
	 * Resolves once `key` has no pending set any more (written, superseded, dropped or expired); undefined
	 * when it has none now. The fleet lock of a holder is kept until then (see `acquire`).
	 */
	whenSettled(key: string): Promise<void> | undefined {
		if (!this.#pending.has(key)) return undefined
		return new Promise<void>((resolve) => {
			const waiting = this.#settledWaiters.get(key)
			if (waiting) waiting.push(resolve)
			else this.#settledWaiters.set(key, [resolve])
		})
	}

	/** Forgets a pending set (the holder logged out, or the set turned out to be spent or superseded). */
	dropPending(key: string, value?: StoredTokenSet): void {
		if (value === undefined || this.#pending.get(key)?.value === value) this.#settle(key)
	}

	/**
	 * Writes the pending set of `key` (or of every key) unless the store holds a newer one, in which case
	 * the pending set is dropped. Resolves when done or when the store failed again (the set stays pending).
	 */
	async flushPending(key?: string): Promise<void> {
		const keys = key === undefined ? [...this.#pending.keys()] : [key]
		for (const each of keys) {
			const pending = this.#pending.get(each)
			if (pending === undefined) continue
			if (this.#paused()) return
			const ttl = pending.deadline - this.#clock.now()
			if (ttl <= 0) {
				this.#settle(each)
				continue
			}
			try {
				const stored = await this.#bounded(() => this.#store.get(each))
				if (!isNewerGrant(stored, pending.value) && stored?.refreshToken !== pending.value.refreshToken) {
					await this.#bounded(() => this.#store.set(each, pending.value, { ttl }))
				}
			} catch (error) {
				this.#failed('set', error)
				if (storeFailureKind(error) === 'outage') return
			}
			if (this.#pending.get(each) === pending) this.#settle(each)
		}
	}

	delete(key: string): Promise<void> {
		return this.#guard('delete', () => this.#store.delete(key), undefined)
	}

	compareAndDelete(key: string, accessToken: string): Promise<boolean> {
		return this.#guard('compareAndDelete', () => this.#store.compareAndDelete(key, accessToken), false)
	}

	/** Whether the store has a fleet lock: then whatever must run under it fails rather than run without it. */
	get hasLock(): boolean {
		return this.#store.lock !== undefined
	}

	/** The fleet lock, or undefined when the store has none or cannot give it in time. */
	lock(key: string): Promise<StoreLock | undefined> {
		const store = this.#store
		if (!store.lock) return Promise.resolve(undefined)
		const controller = new AbortController()
		return this.#guard(
			'lock',
			async () => {
				const lock = await store.lock!(key, { timeout: this.#timeout, signal: controller.signal })
				// Acquired after we stopped waiting: hand it back at once rather than sit on it until the lease lapses.
				if (controller.signal.aborted) await lock.release().catch(() => {})
				return lock
			},
			undefined,
			this.#lockWait,
			() => controller.abort(),
		)
	}

	#paused(): boolean {
		return this.#clock.now() < this.#pausedUntil
	}

	/** Reports a failure and, for an outage, pauses the store (a refusal, such as StoreFullError, says nothing about the store's health). */
	#failed(operation: StoreErrorEvent['operation'], error: unknown): void {
		this.#report({ type: 'store-error', operation, error: asError(error) })
		if (storeFailureKind(error) === 'outage') {
			const pause = Math.min(MAX_PAUSE, Math.max(MIN_PAUSE, this.#timeout))
			this.#pausedUntil = this.#clock.now() + pause
			this.#scheduleFlush(pause)
		}
	}

	#settle(key: string): void {
		this.#pending.delete(key)
		const waiting = this.#settledWaiters.get(key)
		this.#settledWaiters.delete(key)
		for (const resolve of waiting ?? []) resolve()
	}

	#remember(key: string, value: StoredTokenSet, ttl: number): void {
		const current = this.#pending.get(key)
		if (current && current.value.requestedAt > value.requestedAt) return
		this.#pending.set(key, { value, deadline: this.#clock.now() + ttl })
		this.#scheduleFlush(Math.max(0, this.#pausedUntil - this.#clock.now()))
	}

	/** Writes pending sets when the pause ends. The timer does not keep a process alive. */
	#scheduleFlush(delay: number): void {
		if (this.#pending.size === 0 || this.#flushTimer !== undefined) return
		const timer = this.#clock.setTimeout(() => {
			this.#flushTimer = undefined
			this.#flushing ??= this.flushPending().finally(() => {
				this.#flushing = undefined
				if (this.#pending.size > 0) this.#scheduleFlush(Math.max(0, this.#pausedUntil - this.#clock.now()))
			})
		}, delay)
		;(timer as { unref?: () => void } | undefined)?.unref?.()
		this.#flushTimer = timer
	}

	async #guard<T>(operation: StoreErrorEvent['operation'], call: () => Promise<T>, fallback: T, limit = this.#timeout, onTimeout?: () => void): Promise<T> {
		if (this.#paused()) return fallback
		try {
			return await this.#bounded(call, limit, onTimeout)
		} catch (error) {
			this.#failed(operation, error)
			return fallback
		}
	}

	#bounded<T>(call: () => Promise<T>, limit = this.#timeout, onTimeout?: () => void): Promise<T> {
		return new Promise<T>((resolve, reject) => {
			const timer = this.#clock.setTimeout(() => {
				onTimeout?.()
				reject(new Error(`store did not answer within ${limit} ms`))
			}, limit)
			let pending: Promise<T>
			try {
				pending = call()
			} catch (error) {
				pending = Promise.reject(error)
			}
			pending.then(
				(value) => {
					this.#clock.clearTimeout(timer)
					resolve(value)
				},
				(error: unknown) => {
					this.#clock.clearTimeout(timer)
					reject(error)
				},
			)
		})
	}
}

function asError(error: unknown): Error {
	return error instanceof Error ? error : new Error(String(error))
}

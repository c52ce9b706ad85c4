import { TokenWardenError } from './errors.js'
import type { StoreErrorEvent } from './types/events.js'
import type { Clock } from './types/options.js'
import type { StoredTokenSet, StoreLock, TokenStore } from './types/store.js'

/** How long a store that failed or timed out is left alone before the next call tries it again. */
const MIN_PAUSE = 1_000
const MAX_PAUSE = 10_000

/**
 * The manager's view of a store: every call bounded by `timeout`, and a failure reported as a
 * `store-error` event and answered with a safe fallback, so a shared store that is down or slow
 * degrades to in-process single flight instead of failing or hanging callers.
 *
 * After a failure the store is skipped for a short pause (the manager's `timeout`, 1 to 10 s), so a
 * Redis that stopped answering costs one timeout, not one per store call of every cache miss; the
 * first call after the pause tries it again, and the manager is back on the shared store once it answers.
 *
 * Writes of refresh-token sets are the exception: losing one loses a consent, so their errors
 * propagate (see `setStrict`).
 */
export class GuardedStore {
	readonly #store: TokenStore
	readonly #clock: Clock
	readonly #timeout: number
	readonly #lockWait: number
	readonly #report: (event: StoreErrorEvent) => void
	/** Until when the store is skipped after a failure (epoch ms). */
	#pausedUntil = 0

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

	/** A write that must not be lost silently: rejects on failure (after reporting it), and at once while the store is paused. */
	async setStrict(key: string, value: StoredTokenSet, ttl: number): Promise<void> {
		if (this.#paused()) throw new Error('store skipped after a recent failure')
		try {
			await this.#bounded(() => this.#store.set(key, value, { ttl }))
		} catch (error) {
			this.#failed('set', error)
			throw error
		}
	}

	delete(key: string): Promise<void> {
		return this.#guard('delete', () => this.#store.delete(key), undefined)
	}

	compareAndDelete(key: string, accessToken: string): Promise<boolean> {
		return this.#guard('compareAndDelete', () => this.#store.compareAndDelete(key, accessToken), false)
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

	/** Reports a failure and pauses the store, unless the store refused on purpose (a TokenWardenError such as StoreFullError). */
	#failed(operation: StoreErrorEvent['operation'], error: unknown): void {
		this.#report({ type: 'store-error', operation, error: asError(error) })
		if (!(error instanceof TokenWardenError)) {
			this.#pausedUntil = this.#clock.now() + Math.min(MAX_PAUSE, Math.max(MIN_PAUSE, this.#timeout))
		}
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

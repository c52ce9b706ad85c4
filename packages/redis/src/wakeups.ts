import { AbortError, type Logger } from '@tokenwarden/core'
import type { Connection, Subscription } from './connection.js'

/** A lock waiter's view of the wake-ups: released-lock messages for one lock key. */
export interface Watch {
	/** Resolves on a release of the watched lock (also one that came before the call), after `ms`, or rejects on abort. */
	wait(ms: number, signal: AbortSignal | undefined): Promise<void>
	stop(): void
}

/** How long the pub/sub connection stays open after its last waiter left. */
const IDLE_CLOSE = 30_000
/** At most one log line per this long about pub/sub connection trouble (it repeats while Redis is down). */
const ERROR_LOG_INTERVAL = 30_000

/**
 * Wakes lock waiters when a holder in any process releases: the release script publishes the lock
 * key on one channel, and one subscriber connection per store (opened with `client.duplicate()` on
 * first contention, closed when idle) dispatches it to the waiters of that key.
 */
export class Wakeups {
	readonly #connection: Connection
	readonly #channel: string
	readonly #logger: Logger | undefined
	readonly #watchers = new Map<string, Set<() => void>>()
	#subscription: Subscription | undefined
	#ready: Promise<boolean> | undefined
	#idleTimer: ReturnType<typeof setTimeout> | undefined
	#lastErrorLog = 0
	#closed = false

	constructor(connection: Connection, channel: string, logger: Logger | undefined) {
		this.#connection = connection
		this.#channel = channel
		this.#logger = logger
	}

	/**
	 * Starts watching `lockKey`. Resolves once releases are delivered, or after `maxWait` when the
	 * subscription is not up yet (the waiter then polls until it is).
	 */
	async watch(lockKey: string, maxWait: number): Promise<Watch> {
		let woken = false
		let wake: (() => void) | undefined
		const listener = () => {
			woken = true
			wake?.()
		}
		let listeners = this.#watchers.get(lockKey)
		if (!listeners) this.#watchers.set(lockKey, (listeners = new Set()))
		listeners.add(listener)
		this.#clearIdle()
		const ready = this.#subscribe()
		if (ready) await withinMs(ready, maxWait)
		return {
			wait: (ms, signal) => {
				if (woken) {
					woken = false
					return Promise.resolve()
				}
				return new Promise<void>((resolve, reject) => {
					const done = () => {
						clearTimeout(timer)
						signal?.removeEventListener('abort', onAbort)
						wake = undefined
						woken = false
						resolve()
					}
					const onAbort = () => {
						clearTimeout(timer)
						wake = undefined
						reject(new AbortError(signal?.reason))
					}
					const timer = setTimeout(done, ms)
					timer.unref?.()
					if (signal?.aborted) return onAbort()
					signal?.addEventListener('abort', onAbort, { once: true })
					wake = done
				})
			},
			stop: () => {
				wake = undefined
				listeners.delete(listener)
				if (listeners.size === 0 && this.#watchers.get(lockKey) === listeners) this.#watchers.delete(lockKey)
				if (this.#watchers.size === 0) this.#scheduleIdle()
			},
		}
	}

	/** Closes the subscriber connection; waiters fall back to polling. */
	close(): void {
		this.#closed = true
		this.#clearIdle()
		this.#drop()
	}

	#subscribe(): Promise<boolean> | undefined {
		if (this.#closed) return undefined
		if (this.#ready) return this.#ready
		let subscription: Subscription
		try {
			subscription = this.#connection.subscribe(
				this.#channel,
				(lockKey) => {
					for (const listener of this.#watchers.get(lockKey) ?? []) listener()
				},
				(error) => this.#logError(error),
			)
		} catch (error) {
			this.#logError(error as Error)
			return undefined
		}
		this.#subscription = subscription
		const ready = subscription.ready.then(
			() => true,
			(error: unknown) => {
				this.#logError(error as Error)
				// Let the next waiter try again with a new connection.
				if (this.#ready === ready) this.#drop()
				return false
			},
		)
		this.#ready = ready
		return ready
	}

	#drop(): void {
		this.#subscription?.close()
		this.#subscription = undefined
		this.#ready = undefined
	}

	#scheduleIdle(): void {
		this.#clearIdle()
		if (!this.#subscription) return
		this.#idleTimer = setTimeout(() => {
			this.#idleTimer = undefined
			if (this.#watchers.size === 0) this.#drop()
		}, IDLE_CLOSE)
		this.#idleTimer.unref?.()
	}

	#clearIdle(): void {
		if (this.#idleTimer !== undefined) clearTimeout(this.#idleTimer)
		this.#idleTimer = undefined
	}

	#logError(error: Error): void {
		const now = Date.now()
		if (now - this.#lastErrorLog < ERROR_LOG_INTERVAL) return
		this.#lastErrorLog = now
		this.#logger?.warn('tokenwarden: Redis pub/sub connection failed; lock waiters poll until it is back', { error: error?.message })
	}
}

function withinMs(promise: Promise<unknown>, ms: number): Promise<void> {
	return new Promise<void>((resolve) => {
		const timer = setTimeout(resolve, ms)
		timer.unref?.()
		promise.then(
			() => {
				clearTimeout(timer)
				resolve()
			},
			() => {
				clearTimeout(timer)
				resolve()
			},
		)
	})
}

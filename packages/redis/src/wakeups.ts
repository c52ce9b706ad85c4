import { AbortError, type Logger } from '@tokenwarden/core'
import type { Connection, Subscriber } from './connection.js'

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
 * Wakes lock waiters when a holder in any process releases: the release script publishes the lock key
 * on the lock's channel (one channel on a standalone Redis; on a cluster one per hash tag, in the lock's
 * slot, by sharded pub/sub), and one subscriber connection per store (opened with `client.duplicate()`
 * on first contention, closed when idle) listens on the channels of the locks waited for and dispatches
 * each message to the waiters of that lock.
 */
export class Wakeups {
	readonly #connection: Connection
	readonly #logger: Logger | undefined
	readonly #watchers = new Map<string, Set<() => void>>()
	/** Channel -> how many watches use it, and whether it is subscribed. */
	readonly #channels = new Map<string, { users: number; listening: Promise<boolean> }>()
	#subscriber: Subscriber | undefined
	#idleTimer: ReturnType<typeof setTimeout> | undefined
	#lastErrorLog = 0
	#closed = false

	constructor(connection: Connection, logger: Logger | undefined) {
		this.#connection = connection
		this.#logger = logger
	}

	/**
	 * Starts watching `lockKey`, whose releases are announced on `channel`. Resolves once releases are
	 * delivered, or after `maxWait` when the subscription is not up yet (the waiter then polls until it is).
	 */
	async watch(lockKey: string, channel: string, maxWait: number): Promise<Watch> {
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
		const listening = this.#listen(channel)
		if (listening) await withinMs(listening, maxWait)
		let stopped = false
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
				if (stopped) return
				stopped = true
				wake = undefined
				listeners.delete(listener)
				if (listeners.size === 0 && this.#watchers.get(lockKey) === listeners) this.#watchers.delete(lockKey)
				if (listening) this.#unlisten(channel)
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

	/** Subscribes to `channel` (once for all its watches); resolves true when messages on it are delivered. */
	#listen(channel: string): Promise<boolean> | undefined {
		const subscriber = this.#open()
		if (!subscriber) return undefined
		const existing = this.#channels.get(channel)
		if (existing) {
			existing.users++
			return existing.listening
		}
		const listening = subscriber.listen(channel).then(
			() => true,
			(error: unknown) => {
				this.#logError(error as Error)
				// Let the next waiter try again, with a new connection if this one never came up.
				if (this.#channels.get(channel)?.listening === listening) this.#channels.delete(channel)
				subscriber.ready.catch(() => {
					if (this.#subscriber === subscriber) this.#drop()
				})
				return false
			},
		)
		this.#channels.set(channel, { users: 1, listening })
		return listening
	}

	#unlisten(channel: string): void {
		const entry = this.#channels.get(channel)
		if (!entry || --entry.users > 0) return
		this.#channels.delete(channel)
		const subscriber = this.#subscriber
		entry.listening.then((subscribed) => (subscribed ? subscriber?.unlisten(channel) : undefined)).catch((error: unknown) => this.#logError(error as Error))
	}

	#open(): Subscriber | undefined {
		if (this.#closed) return undefined
		if (this.#subscriber) return this.#subscriber
		try {
			this.#subscriber = this.#connection.subscriber(
				(_channel, lockKey) => {
					for (const listener of this.#watchers.get(lockKey) ?? []) listener()
				},
				(error) => this.#logError(error),
			)
		} catch (error) {
			this.#logError(error as Error)
			return undefined
		}
		return this.#subscriber
	}

	#drop(): void {
		this.#subscriber?.close()
		this.#subscriber = undefined
		this.#channels.clear()
	}

	#scheduleIdle(): void {
		this.#clearIdle()
		if (!this.#subscriber) return
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

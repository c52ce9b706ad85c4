import { AbortError, RateLimitedError } from './errors.js'
import type { Clock } from './types/options.js'

/**
 * The `rateLimit` budget: at most `limit` token-request attempts start in any window of `interval` ms
 * (a sliding window, as some providers count it, so the budget is never overrun). Attempts reserve the
 * next free start in arrival order. One that would wait longer than the caller allows fails at once with
 * {@link RateLimitedError}, saying when the budget frees up, instead of freezing a service for a minute.
 */
export class RateBudget {
	readonly #limit: number
	readonly #interval: number
	readonly #clock: Clock
	/** Start times granted or reserved, ascending. */
	readonly #starts: number[] = []

	constructor(limit: number, interval: number, clock: Clock) {
		this.#limit = limit
		this.#interval = interval
		this.#clock = clock
	}

	/**
	 * Waits for a start within the budget.
	 * @param maxWait longest wait accepted, ms; past it, {@link RateLimitedError} without waiting
	 * @param onWait told how long the wait is, when there is one (before it starts, or before failing)
	 */
	take(maxWait: number, signal: AbortSignal | undefined, onWait: (waitMs: number) => void): Promise<void> {
		const now = this.#clock.now()
		while (this.#starts.length > 0 && (this.#starts[0] as number) <= now - this.#interval) this.#starts.shift()
		const slot = this.#starts.length < this.#limit ? now : Math.max(now, (this.#starts[this.#starts.length - this.#limit] as number) + this.#interval)
		if (slot <= now) {
			this.#starts.push(now)
			return Promise.resolve()
		}
		onWait(slot - now)
		if (slot - now > maxWait) {
			return Promise.reject(new RateLimitedError({ retryAt: slot, now, limit: this.#limit, interval: this.#interval }))
		}
		if (signal?.aborted) return Promise.reject(new AbortError(signal.reason))
		this.#starts.push(slot)
		return new Promise<void>((resolve, reject) => {
			const onAbort = () => {
				this.#clock.clearTimeout(timer)
				const index = this.#starts.indexOf(slot)
				if (index >= 0) this.#starts.splice(index, 1)
				reject(new AbortError(signal?.reason))
			}
			const timer = this.#clock.setTimeout(() => {
				signal?.removeEventListener('abort', onAbort)
				resolve()
			}, slot - now)
			signal?.addEventListener('abort', onAbort, { once: true })
		})
	}
}

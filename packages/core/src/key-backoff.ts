import type { ResolvedRetry } from './retry.js'
import { backoffDelay } from './retry.js'

/**
 * Longest wait the per-key backoff imposes between attempts of different flights (issue 18): while the
 * token endpoint is down a key is probed about once a second, so the first request after it is back
 * succeeds within a second, and an outage of any length costs one attempt per step, not one per caller.
 */
export const MAX_KEY_BACKOFF = 1_000

/** Past this many keys in backoff, entries whose wait has long passed are dropped before adding one. */
const SWEEP_AT = 1_000
/** An entry this long past its wait is forgotten by the sweep (the key has not tried since). */
const FORGET_AFTER = 60_000

interface Failing {
	/** Consecutive failed attempts of the key. */
	failures: number
	/** No attempt for the key starts before this (epoch ms). */
	nextAt: number
}

/**
 * The token endpoint's backoff per cache key, across flights: every attempt for a key (a caller's, a
 * retry, a background refresh) starts no earlier than the key's next step. Without it, each new flight
 * after a failed one starts at once, so continuous callers during an outage send a request every few
 * hundred milliseconds however the retries inside one flight are spaced.
 *
 * A step follows the retry policy (base `retry.delay`, doubling, equal jitter) capped at
 * {@link MAX_KEY_BACKOFF}; a success forgets the key. Only failures that may pass (network, timeout,
 * 5xx, 429) count: an OAuth error is an answer, not an outage. Only failing keys take memory.
 */
export class KeyBackoff {
	readonly #random: () => number
	readonly #failing = new Map<string, Failing>()
	/** The retry policy with its longest delay capped at {@link MAX_KEY_BACKOFF}. */
	readonly #step: ResolvedRetry

	constructor(retry: ResolvedRetry, random: () => number) {
		this.#random = random
		this.#step = { ...retry, maxDelay: Math.min(retry.maxDelay, MAX_KEY_BACKOFF) }
	}

	/** How long an attempt for the key must wait from `now`, ms (0: go). */
	waitOf(key: string, now: number): number {
		const failing = this.#failing.get(key)
		return failing === undefined ? 0 : Math.max(0, failing.nextAt - now)
	}

	/**
	 * Records a failed attempt that may pass and returns how long the key's next attempt waits, ms. The
	 * first failure in a row costs no wait here (a caller may try again at once, and a flight's own retry
	 * delay applies); each further one waits one more step.
	 */
	failed(key: string, now: number): number {
		let failing = this.#failing.get(key)
		if (failing === undefined) {
			if (this.#failing.size >= SWEEP_AT) this.#sweep(now)
			failing = { failures: 0, nextAt: 0 }
			this.#failing.set(key, failing)
		}
		failing.failures++
		if (failing.failures === 1) return 0
		const step = backoffDelay(failing.failures, this.#step, this.#random)
		failing.nextAt = now + step
		return step
	}

	/** The key got an answer: its next attempt need not wait. */
	succeeded(key: string): void {
		this.#failing.delete(key)
	}

	/** Forgets every key (the manager's `clear`). */
	clear(): void {
		this.#failing.clear()
	}

	#sweep(now: number): void {
		for (const [key, failing] of this.#failing) if (now - failing.nextAt > FORGET_AFTER) this.#failing.delete(key)
	}
}

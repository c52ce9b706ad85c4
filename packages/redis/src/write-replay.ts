import type { Logger, StoredTokenSet } from '@tokenwarden/core'

interface Pending {
	value: StoredTokenSet
	/** Epoch ms after which the entry would have expired anyway. */
	deadline: number
}

/** How often writes that failed are tried again. */
const REPLAY_INTERVAL = 1_000

/**
 * Refresh-token sets that could not be written (Redis down or slow) are written again, newest per
 * key, as soon as Redis answers. A refresh token is single-use where the provider rotates it
 * ([RFC 9700 §4.14.2](https://www.rfc-editor.org/rfc/rfc9700#section-4.14.2)): if the
 * rotated one never reached Redis, every other process would be left with a spent one. The write
 * still fails for its caller (the manager keeps the set in process and reports the failure); this
 * makes sure the fleet gets it too, even if that process never refreshes again. The replayed write
 * is newer-wins like any other, so it never replaces a set rotated later.
 */
export class WriteReplay {
	readonly #write: (key: string, value: StoredTokenSet, ttl: number) => Promise<unknown>
	readonly #logger: Logger | undefined
	readonly #pending = new Map<string, Pending>()
	/** Callers waiting for a key's pending write to be done with (written, superseded, forgotten or expired). */
	readonly #waiters = new Map<string, Array<() => void>>()
	#timer: ReturnType<typeof setTimeout> | undefined
	#closed = false

	constructor(write: (key: string, value: StoredTokenSet, ttl: number) => Promise<unknown>, logger: Logger | undefined) {
		this.#write = write
		this.#logger = logger
	}

	get size(): number {
		return this.#pending.size
	}

	/** Keeps a failed write for later, unless a newer one for the key is already waiting. */
	remember(key: string, value: StoredTokenSet, ttl: number): void {
		if (this.#closed) return
		const current = this.#pending.get(key)
		if (current && current.value.requestedAt > value.requestedAt) return
		this.#pending.set(key, { value, deadline: Date.now() + ttl })
		this.#schedule()
	}

	/** A write for the key succeeded: an older pending one is no longer needed. */
	written(key: string, requestedAt: number): void {
		const current = this.#pending.get(key)
		if (current && current.value.requestedAt <= requestedAt) this.#done(key)
	}

	/** The entry was deleted on purpose (logout, revoke): do not bring it back. */
	forget(key: string): void {
		this.#done(key)
	}

	/** Resolves once no write for `key` is pending any more; undefined when none is pending now. */
	whenWritten(key: string): Promise<void> | undefined {
		if (!this.#pending.has(key)) return undefined
		return new Promise<void>((resolve) => {
			const waiting = this.#waiters.get(key)
			if (waiting) waiting.push(resolve)
			else this.#waiters.set(key, [resolve])
		})
	}

	close(): void {
		this.#closed = true
		for (const key of [...this.#pending.keys()]) this.#done(key)
		if (this.#timer !== undefined) clearTimeout(this.#timer)
		this.#timer = undefined
	}

	#schedule(): void {
		if (this.#timer !== undefined || this.#closed || this.#pending.size === 0) return
		this.#timer = setTimeout(() => {
			this.#timer = undefined
			this.#replay().finally(() => this.#schedule())
		}, REPLAY_INTERVAL)
		this.#timer.unref?.()
	}

	async #replay(): Promise<void> {
		for (const [key, pending] of [...this.#pending]) {
			const ttl = pending.deadline - Date.now()
			if (ttl <= 0) {
				this.#done(key)
				continue
			}
			try {
				await this.#write(key, pending.value, ttl)
			} catch {
				// Still unavailable: the rest would fail the same way; try again next round.
				return
			}
			if (this.#pending.get(key) === pending) this.#done(key)
			this.#logger?.info('tokenwarden: refresh-token set written to Redis after it came back', { key })
		}
	}

	#done(key: string): void {
		this.#pending.delete(key)
		const waiting = this.#waiters.get(key)
		this.#waiters.delete(key)
		for (const resolve of waiting ?? []) resolve()
	}
}

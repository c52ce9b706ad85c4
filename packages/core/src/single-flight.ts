/**
 * One promise per key: every caller that asks while a request for the key is in flight shares it,
 * result or error. The entry is dropped when the promise settles, so a failure is not cached.
 */
export class SingleFlight<T> {
	readonly #inFlight = new Map<string, Promise<T>>()

	run(key: string, task: () => Promise<T>): Promise<T> {
		const existing = this.#inFlight.get(key)
		if (existing) return existing
		const promise = task().finally(() => {
			if (this.#inFlight.get(key) === promise) this.#inFlight.delete(key)
		})
		this.#inFlight.set(key, promise)
		// Waiters may all have stopped listening (aborted): the request's failure must not become an unhandled rejection.
		promise.catch(() => {})
		return promise
	}

	has(key: string): boolean {
		return this.#inFlight.has(key)
	}
}

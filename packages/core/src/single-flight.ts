import { AbortError } from './errors.js'

/** What the task of a flight can see of it. */
export interface FlightState {
	/** Fires when every caller waiting for the flight gave up (aborted) and no caller without a signal or background task joined it. */
	readonly signal: AbortSignal
	/** Whether a caller (not only a background refresh) waits for it. */
	readonly foreground: boolean
}

/** Who joins a flight. */
export interface Waiter {
	/** The caller's signal: aborting it stops this caller waiting, not the flight. */
	signal?: AbortSignal | undefined
	/** A background refresh: nobody waits, and it is never cancelled. */
	background?: boolean | undefined
}

interface Flight<T> {
	promise: Promise<T>
	controller: AbortController
	/** Callers with a signal still waiting. */
	waiting: number
	/** Someone joined who will not abort (no signal, or a background refresh): never cancel. */
	pinned: boolean
	foreground: boolean
}

/**
 * One promise per key: every caller that asks while a request for the key is in flight shares it,
 * result or error. The entry is dropped when the promise settles, so a failure is not cached.
 *
 * When every caller of a flight has aborted, the flight's signal fires so its task stops between attempts
 * (no retry timer left to keep a script alive); an attempt on the wire is left to finish.
 */
export class SingleFlight<T> {
	readonly #inFlight = new Map<string, Flight<T>>()

	run(key: string, task: (state: FlightState) => Promise<T>, waiter: Waiter = {}): Promise<T> {
		let flight = this.#inFlight.get(key)
		if (flight === undefined) {
			const controller = new AbortController()
			const created: Flight<T> = { promise: undefined as unknown as Promise<T>, controller, waiting: 0, pinned: false, foreground: false }
			const state: FlightState = {
				signal: controller.signal,
				get foreground() {
					return created.foreground
				},
			}
			created.promise = task(state).finally(() => {
				if (this.#inFlight.get(key) === created) this.#inFlight.delete(key)
			})
			// Waiters may all have stopped listening (aborted): the request's failure must not become an unhandled rejection.
			created.promise.catch(() => {})
			this.#inFlight.set(key, created)
			flight = created
		}
		if (!waiter.background) flight.foreground = true
		const { signal } = waiter
		if (waiter.background || signal === undefined) {
			flight.pinned = true
			return flight.promise
		}
		return this.#wait(flight, signal)
	}

	has(key: string): boolean {
		return this.#inFlight.has(key)
	}

	/**
	 * Forgets every flight (the manager's `clear`): each one's signal fires, so its task stops between
	 * attempts; a caller still waiting gets the attempt's result or an {@link AbortError}. The next call
	 * for any key starts a new flight.
	 */
	clear(reason: unknown): void {
		for (const flight of this.#inFlight.values()) flight.controller.abort(reason)
		this.#inFlight.clear()
	}

	#wait(flight: Flight<T>, signal: AbortSignal): Promise<T> {
		if (signal.aborted) return Promise.reject(new AbortError(signal.reason))
		flight.waiting++
		return new Promise<T>((resolve, reject) => {
			const onAbort = () => {
				flight.waiting--
				if (flight.waiting === 0 && !flight.pinned) flight.controller.abort(signal.reason)
				reject(new AbortError(signal.reason))
			}
			signal.addEventListener('abort', onAbort, { once: true })
			flight.promise.then(
				(value) => {
					signal.removeEventListener('abort', onAbort)
					resolve(value)
				},
				(error: unknown) => {
					signal.removeEventListener('abort', onAbort)
					reject(error)
				},
			)
		})
	}
}

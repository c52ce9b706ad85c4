import type { Clock } from './types/options.js'

/** `setTimeout` cannot wait longer than this; a later item re-arms the timer when it fires. */
const MAX_TIMER = 2 ** 31 - 1

/** One scheduled item; an item replaced or removed stays in the heap, unlinked, until popped or compacted. */
interface Item<K, V> {
	readonly at: number
	readonly key: K
	readonly value: V
}

/**
 * Items due at given times, one per key, on ONE timer of the injected clock (issue 19): 100,000 holders'
 * consent-expiry reminders cost a binary heap of 100,000 small objects and a single `setTimeout`, not
 * 100,000 timers. Setting a key again replaces its item; the old one is skipped when it surfaces, and the
 * heap is rebuilt from the live items when skipped ones outnumber them, so rescheduling (every refresh
 * of a holder moves its reminder) never grows it without bound. The timer is unref'd: a reminder weeks
 * away never keeps a process alive.
 */
export class Schedule<K, V> {
	readonly #clock: Clock
	readonly #onDue: (key: K, value: V, at: number) => void
	/** Min-heap on `at`. */
	#heap: Item<K, V>[] = []
	/** The live item of each key. */
	readonly #live = new Map<K, Item<K, V>>()
	#timer: unknown
	#timerAt = Number.POSITIVE_INFINITY

	/** @param onDue called once per item when its time comes (an exception from it is dropped) */
	constructor(clock: Clock, onDue: (key: K, value: V, at: number) => void) {
		this.#clock = clock
		this.#onDue = onDue
	}

	/** Number of live items. */
	get size(): number {
		return this.#live.size
	}

	/** When the key's item is due, if it has one. */
	dueAt(key: K): number | undefined {
		return this.#live.get(key)?.at
	}

	/** Schedules (or moves) the key's item to `at` (epoch ms). */
	set(key: K, at: number, value: V): void {
		const item: Item<K, V> = { at, key, value }
		this.#live.set(key, item)
		this.#push(item)
		this.#compactIfSparse()
		if (at < this.#timerAt) this.#arm()
	}

	/** Removes the key's item, if any. */
	delete(key: K): void {
		if (!this.#live.delete(key)) return
		this.#compactIfSparse()
		if (this.#live.size === 0) this.#disarm()
	}

	/** Removes every item and stops the timer. */
	clear(): void {
		this.#live.clear()
		this.#heap = []
		this.#disarm()
	}

	#fire(): void {
		this.#timer = undefined
		this.#timerAt = Number.POSITIVE_INFINITY
		const now = this.#clock.now()
		for (;;) {
			const top = this.#heap[0]
			if (top === undefined || top.at > now) break
			this.#pop()
			if (this.#live.get(top.key) !== top) continue
			this.#live.delete(top.key)
			try {
				this.#onDue(top.key, top.value, top.at)
			} catch {
				// One failing reminder must not cost the others theirs.
			}
		}
		this.#arm()
	}

	/** Arms the one timer for the earliest live item (dropping skipped ones on top). */
	#arm(): void {
		let top = this.#heap[0]
		while (top !== undefined && this.#live.get(top.key) !== top) {
			this.#pop()
			top = this.#heap[0]
		}
		this.#disarm()
		if (top === undefined) return
		const wait = Math.max(0, Math.min(top.at - this.#clock.now(), MAX_TIMER))
		const timer = this.#clock.setTimeout(() => this.#fire(), wait)
		;(timer as { unref?: () => void } | undefined)?.unref?.()
		this.#timer = timer
		this.#timerAt = top.at
	}

	#disarm(): void {
		if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer)
		this.#timer = undefined
		this.#timerAt = Number.POSITIVE_INFINITY
	}

	#compactIfSparse(): void {
		if (this.#heap.length <= 2 * this.#live.size + 64) return
		this.#heap = [...this.#live.values()]
		for (let index = (this.#heap.length >> 1) - 1; index >= 0; index--) this.#down(index)
	}

	#push(item: Item<K, V>): void {
		const heap = this.#heap
		heap.push(item)
		let index = heap.length - 1
		while (index > 0) {
			const parent = (index - 1) >> 1
			if ((heap[parent] as Item<K, V>).at <= item.at) break
			heap[index] = heap[parent] as Item<K, V>
			index = parent
		}
		heap[index] = item
	}

	#pop(): void {
		const heap = this.#heap
		const last = heap.pop()
		if (last === undefined || heap.length === 0) return
		heap[0] = last
		this.#down(0)
	}

	#down(start: number): void {
		const heap = this.#heap
		const item = heap[start] as Item<K, V>
		let index = start
		for (;;) {
			let child = 2 * index + 1
			if (child >= heap.length) break
			if (child + 1 < heap.length && (heap[child + 1] as Item<K, V>).at < (heap[child] as Item<K, V>).at) child++
			if ((heap[child] as Item<K, V>).at >= item.at) break
			heap[index] = heap[child] as Item<K, V>
			index = child
		}
		heap[index] = item
	}
}

import { isOutage, RedisStoreError } from './errors.js'

/**
 * Runs one store operation under its own deadline. node-redis and ioredis wait for a reply as long
 * as the socket stays open (a paused or overloaded Redis), so every operation races a timer; the
 * signal handed to it also takes a command that is still queued out of the client's queue.
 */
export function bounded<T>(ms: number, what: string, operation: (signal: AbortSignal) => Promise<T>): Promise<T> {
	const controller = new AbortController()
	return new Promise<T>((resolve, reject) => {
		const timer = setTimeout(() => {
			const error = new RedisStoreError(`Redis did not answer ${what} within ${ms} ms`, 'timeout')
			controller.abort(error)
			reject(error)
		}, ms)
		timer.unref?.()
		let pending: Promise<T>
		try {
			pending = operation(controller.signal)
		} catch (error) {
			pending = Promise.reject(error)
		}
		pending.then(
			(value) => {
				clearTimeout(timer)
				resolve(value)
			},
			(error: unknown) => {
				clearTimeout(timer)
				reject(asStoreError(error, what))
			},
		)
	})
}

/** Wraps a client error, marking outages; its message is the client's (Redis errors name commands and keys, never values). */
export function asStoreError(error: unknown, what: string): RedisStoreError {
	if (error instanceof RedisStoreError) return error
	const message = error instanceof Error ? error.message : String(error)
	return new RedisStoreError(`Redis failed ${what}: ${message}`, 'command', { cause: error, outage: isOutage(error) })
}

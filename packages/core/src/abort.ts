import { AbortError } from './errors.js'

/** Lets one caller stop waiting for a shared promise without cancelling it for the others. */
export function raceAbort<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
	if (!signal) return promise
	if (signal.aborted) return Promise.reject(new AbortError(signal.reason))
	return new Promise<T>((resolve, reject) => {
		const onAbort = () => reject(new AbortError(signal.reason))
		signal.addEventListener('abort', onAbort, { once: true })
		promise.then(
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

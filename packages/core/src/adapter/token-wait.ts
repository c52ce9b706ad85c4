import { TokenWardenError } from '../errors.js'

/** Timers the token wait uses: the global ones unless a test or an adapter injects its own. */
export interface WaitTimers {
	/** Starts a timer; returns a handle for {@link WaitTimers.clearTimeout}. */
	setTimeout(callback: () => void, ms: number): unknown
	/** Cancels a timer started by {@link WaitTimers.setTimeout}. */
	clearTimeout(handle: unknown): void
}

export const globalTimers: WaitTimers = {
	setTimeout: (callback, ms) => setTimeout(callback, ms),
	clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
}

/**
 * A request waited longer than the client's timeout for its token. Adapters turn it into their
 * client's own timeout error (axios `ECONNABORTED`, ky `TimeoutError`); the token request itself goes
 * on for the other callers waiting on it.
 */
export class TokenWaitTimeoutError extends TokenWardenError {
	/** Always `TOKEN_WAIT_TIMEOUT`. */
	override readonly code = 'TOKEN_WAIT_TIMEOUT'
	/** The timeout that passed, in milliseconds. */
	readonly timeout: number

	constructor(timeout: number) {
		super(`tokenwarden: no token within the request's timeout of ${timeout} ms`)
		this.timeout = timeout
	}
}

/** `pending`, or a {@link TokenWaitTimeoutError} once `timeout` ms passed first. The timer is cleared either way. */
export function withinTimeout<T>(pending: Promise<T>, timeout: number, timers: WaitTimers): Promise<T> {
	return new Promise<T>((resolve, reject) => {
		const timer = timers.setTimeout(() => reject(new TokenWaitTimeoutError(timeout)), timeout)
		pending.then(
			(value) => {
				timers.clearTimeout(timer)
				resolve(value)
			},
			(error: unknown) => {
				timers.clearTimeout(timer)
				reject(error)
			},
		)
	})
}

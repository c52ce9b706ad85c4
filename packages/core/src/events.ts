import type { Logger, TokenWardenEvent } from './types/events.js'

/** Reports an event to `onEvent` and the logger; never throws. */
export type Emit = (event: TokenWardenEvent) => void

/**
 * Delivers events to `onEvent` and the logger. Neither may break token handling: a listener or a
 * logger method that throws is caught here (the listener's error is logged, a logger's own error is
 * dropped), so a `getToken` that succeeded still succeeds and a background refresh never turns into an
 * unhandled rejection. Events carry keys, times and error objects, never secrets.
 */
export function createEmitter(onEvent: ((event: TokenWardenEvent) => void) | undefined, logger: Logger | undefined): Emit {
	const safeLogger = logger === undefined ? undefined : safeLog(logger)
	return (event: TokenWardenEvent): void => {
		if (safeLogger) log(safeLogger, event)
		if (!onEvent) return
		const listenerFailed = (error: unknown) => safeLogger?.error('tokenwarden: onEvent listener threw', { error: describe(error) })
		try {
			// An async listener's rejection is caught too: it would otherwise be an unhandled rejection.
			const returned: unknown = onEvent(event)
			if (isThenable(returned)) returned.then(undefined, listenerFailed)
		} catch (error) {
			listenerFailed(error)
		}
	}
}

/** A logger whose methods never throw. */
export function safeLog(logger: Logger): Logger {
	const guard =
		(level: keyof Logger) =>
		(message: string, data?: Record<string, unknown>): void => {
			try {
				const returned: unknown = logger[level](message, data)
				if (isThenable(returned)) returned.then(undefined, () => {})
			} catch {
				// A broken logger must not break token handling; there is nowhere left to report it.
			}
		}
	return { debug: guard('debug'), info: guard('info'), warn: guard('warn'), error: guard('error') }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
	return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function'
}

function describe(error: unknown): string {
	try {
		return error instanceof Error ? error.message : String(error)
	} catch {
		return 'unprintable error'
	}
}

function log(logger: Logger, event: TokenWardenEvent): void {
	switch (event.type) {
		case 'token':
			if (event.shortLifetime !== undefined) {
				logger.warn('tokenwarden: the token endpoint gave a token less than a second to live; it is kept for one second', {
					key: event.key,
					shortLifetime: event.shortLifetime,
				})
			}
			logger.debug('tokenwarden: token obtained', {
				key: event.key,
				grantType: event.grantType,
				expiresAt: event.expiresAt,
				expirySource: event.expirySource,
			})
			return
		case 'retry':
			logger.info('tokenwarden: retrying token request', { attempt: event.attempt, delay: event.delay, status: event.status, reason: event.reason })
			return
		case 'refresh-error':
			logger.warn('tokenwarden: background refresh failed; still serving the cached token', { key: event.key, error: event.error.message })
			return
		case 'token-error':
			logger.warn('tokenwarden: token request failed', { key: event.key, grantType: event.grantType, code: event.code, status: event.status, attempts: event.attempts })
			return
		case 'rate-limited':
			logger.warn('tokenwarden: token request waiting for the rateLimit budget', { key: event.key, waitMs: event.waitMs })
			return
		case 'store-error':
			logger.warn('tokenwarden: token store failed; continuing in-process', { operation: event.operation, error: event.error.message })
			return
		case 'consent-required':
			logger.warn('tokenwarden: consent required', { subject: event.subject, reason: event.reason })
			return
		case 'consent-expiring':
			logger.info('tokenwarden: consent expires soon', { subject: event.subject, refreshExpiresAt: event.refreshExpiresAt })
			return
		case 'invalidate':
			logger.debug('tokenwarden: token invalidated', { key: event.key })
			return
	}
}

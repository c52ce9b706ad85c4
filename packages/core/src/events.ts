import type { Logger, TokenWardenEvent } from './types/events.js'

/**
 * Delivers events to `onEvent` and the logger. A throwing listener must not break token handling,
 * so its error is swallowed (and logged). Events carry keys, times and error objects, never secrets.
 */
export function createEmitter(onEvent: ((event: TokenWardenEvent) => void) | undefined, logger: Logger | undefined) {
	return (event: TokenWardenEvent): void => {
		if (logger) log(logger, event)
		if (!onEvent) return
		try {
			onEvent(event)
		} catch (error) {
			logger?.error('tokenwarden: onEvent listener threw', { error: (error as Error)?.message })
		}
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

import { timingSafeEqual } from 'node:crypto'
import { StateMismatchError } from '@tokenwarden/core'

/**
 * The real manager's state check ([RFC 6749 §10.12](https://www.rfc-editor.org/rfc/rfc6749#section-10.12)):
 * the same errors for the same mistakes, so a callback handler that the static manager accepts is one the
 * real manager accepts too.
 */
export function checkState(state: unknown, expectedState: unknown): void {
	if (typeof expectedState !== 'string' || expectedState === '') {
		throw new TypeError('tokenwarden: exchangeCode needs expectedState (the state kept from authorizationUrl)')
	}
	if (typeof state !== 'string') throw new StateMismatchError()
	const a = Buffer.from(state)
	const b = Buffer.from(expectedState)
	if (a.length !== b.length || !timingSafeEqual(a, b)) throw new StateMismatchError()
}

// The testing package's tests use core's test helpers (the same manager defaults, fake time and nock set-up).
export { CLIENT_ID, CLIENT_SECRET, setup, TOKEN_URL, useFakeTime, useNock } from '../../core/test/helpers.ts'

/** Waits (on real I/O turns, not timers) until the condition holds. */
export async function until(condition: () => boolean, turns = 200): Promise<void> {
	for (let i = 0; i < turns; i++) {
		if (condition()) return
		await new Promise((resolve) => setImmediate(resolve))
	}
	throw new Error('condition not met')
}

import nock from 'nock'
import { afterEach, beforeEach, vi } from 'vitest'
import { type ClientSecretOptions, createTokenManager, type TokenManagerOptions, type TokenWardenEvent } from '@tokenwarden/core'

export const TOKEN_URL = 'https://auth.example.com/oauth/token'
export const CLIENT_ID = 'client-1'
/** Has characters that form-urlencoding changes, to check RFC 6749 §2.3.1 encoding. */
export const CLIENT_SECRET = 's3cr3t:with+special&chars é'

/** A manager with test defaults and every event collected. */
export function setup(overrides: Partial<ClientSecretOptions> | Partial<TokenManagerOptions> | Record<string, unknown> = {}) {
	const events: TokenWardenEvent[] = []
	const tokens = createTokenManager({
		tokenUrl: TOKEN_URL,
		clientId: CLIENT_ID,
		clientSecret: CLIENT_SECRET,
		retry: { limit: 2, delay: 10, maxDelay: 50 },
		onEvent: (event) => events.push(event),
		...overrides,
	} as TokenManagerOptions)
	return { tokens, events }
}

/** Fake Date and timeouts for every test of a file, starting at `start`; setImmediate stays real, so I/O still runs. */
export function useFakeTime(start: number): void {
	beforeEach(() => {
		vi.useFakeTimers({ toFake: ['Date', 'setTimeout', 'clearTimeout'] })
		vi.setSystemTime(start)
	})
	afterEach(() => {
		vi.useRealTimers()
	})
}

/** nock for every test file: no real network except loopback, nothing left over. */
export function useNock(): void {
	beforeEach(() => {
		nock.disableNetConnect()
		nock.enableNetConnect(/127\.0\.0\.1|localhost/)
	})
	afterEach(() => {
		nock.cleanAll()
		nock.enableNetConnect()
	})
}

/** Waits (on real I/O turns, not timers) until the condition holds. */
export async function until(condition: () => boolean, turns = 200): Promise<void> {
	for (let i = 0; i < turns; i++) {
		if (condition()) return
		await new Promise((resolve) => setImmediate(resolve))
	}
	throw new Error('condition not met')
}

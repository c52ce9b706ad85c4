import { describe, expect, it } from 'vitest'
import { Targets } from '../src/target.ts'
import { backgroundRetryAt, tokenTiming } from '../src/timing.ts'
import { type AccessEntry, FIRST_COOLDOWN, MAX_COOLDOWN, QUIET_PERIOD, TokenCache } from '../src/token-cache.ts'

const targets = new Targets('https://auth.example.com/token', 'client-1', ['read'], Number.POSITIVE_INFINITY)
const read = targets.of(['read'], undefined)
const write = targets.of(['write'], undefined)
const holder = targets.of([], 'account-42')
const T0 = 1_000_000
const policy = { refreshAhead: 60_000, expiryMargin: 10_000 }

function entry(accessToken: string, requestedAt = T0, lifetime = 3_600_000): AccessEntry {
	return { version: 1, accessToken, expiresAt: requestedAt + lifetime, requestedAt }
}

describe('timing', () => {
	it('refreshes refreshAhead before expiry and retires expiryMargin before it', () => {
		expect(tokenTiming(T0, T0 + 3_600_000, policy)).toEqual({ refreshAt: T0 + 3_540_000, staleAt: T0 + 3_590_000 })
	})

	it('default leads scale down for a short token: refresh at 80 % of its life, retire at 90 %', () => {
		expect(tokenTiming(T0, T0 + 8_000, policy)).toEqual({ refreshAt: T0 + 6_400, staleAt: T0 + 7_200 })
		expect(tokenTiming(T0, T0 + 2_000, policy)).toEqual({ refreshAt: T0 + 1_600, staleAt: T0 + 1_800 })
		// Between: used for at least refreshAhead before the refresh (a 100 s token refreshes at 60 s).
		expect(tokenTiming(T0, T0 + 100_000, policy)).toEqual({ refreshAt: T0 + 60_000, staleAt: T0 + 90_000 })
		// From twice the refresh lead up the defaults hold exactly.
		expect(tokenTiming(T0, T0 + 120_000, policy)).toEqual({ refreshAt: T0 + 60_000, staleAt: T0 + 110_000 })
		expect(tokenTiming(T0, T0 + 300_000, policy)).toEqual({ refreshAt: T0 + 240_000, staleAt: T0 + 290_000 })
	})

	it('given leads are honoured exactly while the lifetime allows, and fall back to 80 % / 90 % when it does not', () => {
		const given = { ...policy, refreshAhead: 50_000, expiryMargin: 30_000, given: { refreshAhead: true, expiryMargin: true } }
		expect(tokenTiming(T0, T0 + 60_000, given)).toEqual({ refreshAt: T0 + 10_000, staleAt: T0 + 30_000 })
		expect(tokenTiming(T0, T0 + 20_000, given)).toEqual({ refreshAt: T0 + 16_000, staleAt: T0 + 18_000 })
	})

	it('after a failed background refresh, waits a tenth of what is left, between 1 s and 30 s', () => {
		expect(backgroundRetryAt(T0, T0 + 100_000)).toBe(T0 + 10_000)
		expect(backgroundRetryAt(T0, T0 + 2_000)).toBe(T0 + 1_000)
		expect(backgroundRetryAt(T0, T0 + 3_600_000)).toBe(T0 + 30_000)
	})
})

describe('TokenCache', () => {
	it('adopts a token with its timing, and keeps a newer one against a late result', () => {
		const cache = new TokenCache(policy)
		cache.adopt(read, entry('new', T0 + 10), T0 + 20)
		expect(cache.adopt(read, entry('late', T0), T0 + 30).accessToken).toBe('new')
		expect(cache.peek(read.key)).toMatchObject({ token: { accessToken: 'new' }, refreshAt: T0 + 10 + 3_540_000, staleAt: T0 + 10 + 3_590_000 })
		// A newer one that is stale no longer wins.
		expect(cache.adopt(read, entry('later', T0), T0 + 10 + 3_590_000).accessToken).toBe('later')
	})

	it('one invalidate drops a token under every key that holds it, and remembers it as rejected', () => {
		const cache = new TokenCache(policy)
		cache.adopt(read, entry('shared'), T0)
		cache.adopt(write, entry('shared'), T0)
		expect(cache.invalidate('shared', T0 + 1)).toEqual({ dropped: [read.key, write.key], kept: [] })
		expect(cache.peek(read.key)).toBeUndefined()
		expect(cache.peek(write.key)).toBeUndefined()
		expect(cache.rejectedOf(write.key)).toBe('shared')
		expect(cache.invalidate('shared', T0 + 2)).toEqual({ dropped: [], kept: [] })
	})

	it('invalidating a token no longer held changes nothing (compare-and-delete)', () => {
		const cache = new TokenCache(policy)
		cache.adopt(read, entry('a'), T0)
		cache.adopt(read, entry('b', T0 + 1), T0 + 1)
		expect(cache.invalidate('a', T0 + 2).dropped).toEqual([])
		expect(cache.peek(read.key)?.token.accessToken).toBe('b')
	})

	it('keeps a replacement token through a cooldown that doubles up to the cap', () => {
		const cache = new TokenCache(policy)
		let now = T0
		cache.adopt(read, entry('t0', now), now)
		let cooldown = FIRST_COOLDOWN
		for (let i = 1; i <= 6; i++) {
			expect(cache.invalidate(`t${i - 1}`, now).dropped).toEqual([read.key])
			cache.adopt(read, entry(`t${i}`, now), now)
			// Rejected again within the cooldown: kept.
			expect(cache.invalidate(`t${i}`, now + cooldown - 1)).toEqual({ dropped: [], kept: [read.key] })
			expect(cache.peek(read.key)?.token.accessToken).toBe(`t${i}`)
			now += cooldown
			cooldown = Math.min(MAX_COOLDOWN, cooldown * 2)
		}
		expect(cooldown).toBe(MAX_COOLDOWN)
	})

	it('starts the cooldown over when a token is obtained in the normal course, or after a quiet period', () => {
		const cache = new TokenCache(policy)
		cache.adopt(read, entry('a'), T0)
		cache.invalidate('a', T0)
		cache.adopt(read, entry('b'), T0) // the replacement, protected
		// Obtained by expiry refresh: not a replacement, dropped at once.
		cache.adopt(read, entry('c', T0 + 1), T0 + 1)
		expect(cache.invalidate('c', T0 + 2).dropped).toEqual([read.key])
		cache.adopt(read, entry('d', T0 + 2), T0 + 2)
		expect(cache.invalidate('d', T0 + 2 + FIRST_COOLDOWN - 1).kept).toEqual([read.key]) // back to 5 s, not 10 s
		// Quiet for longer than the quiet period: the next rejection drops at once again.
		expect(cache.invalidate('d', T0 + 2 + FIRST_COOLDOWN + QUIET_PERIOD).dropped).toEqual([read.key])
	})

	it('the cooldown of one key leaves the others alone', () => {
		const cache = new TokenCache(policy)
		cache.adopt(read, entry('r1'), T0)
		cache.adopt(write, entry('w1'), T0)
		cache.invalidate('r1', T0)
		cache.adopt(read, entry('r2'), T0)
		expect(cache.invalidate('r2', T0 + 1).kept).toEqual([read.key])
		expect(cache.invalidate('w1', T0 + 1).dropped).toEqual([write.key])
	})

	it('drops every entry of a holder, and sweeps dead entries', () => {
		const cache = new TokenCache(policy)
		cache.adopt(holder, entry('h'), T0)
		cache.adopt(read, entry('short', T0, 1_000), T0)
		cache.adopt(write, entry('long'), T0)
		expect(cache.dropSubject('account-42')).toEqual([holder.key])
		expect(cache.invalidate('h', T0).dropped).toEqual([])
		cache.sweep(T0 + 2_000)
		expect(cache.size).toBe(1)
		expect(cache.peek(write.key)?.token.accessToken).toBe('long')
		cache.forget(write.key)
		expect(cache.peek(write.key)).toBeUndefined()
	})

	it('holds back background refreshes after one failed, until the next token', () => {
		const cache = new TokenCache(policy)
		cache.adopt(read, entry('a'), T0)
		expect(cache.mayRefreshInBackground(read.key, T0)).toBe(true)
		cache.backgroundFailed(read.key, T0 + 1_000)
		expect(cache.mayRefreshInBackground(read.key, T0 + 999)).toBe(false)
		cache.adopt(read, entry('b', T0 + 1), T0 + 1)
		expect(cache.mayRefreshInBackground(read.key, T0 + 2)).toBe(true)
	})
})

describe('Targets', () => {
	it("a holder's key from the fast path is the same string cacheKey builds", async () => {
		const { cacheKey } = await import('../src/cache-key.ts')
		for (const subject of ['account-42', 'a:b/c d', 'é ü ø', '']) {
			if (subject === '') continue
			expect(targets.resolve({ subject }).key).toBe(cacheKey('https://auth.example.com/token', 'client-1', [], subject))
			expect(targets.of([], subject).key).toBe(cacheKey('https://auth.example.com/token', 'client-1', [], subject))
		}
	})
})

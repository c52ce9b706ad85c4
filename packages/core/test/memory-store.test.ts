import nock from 'nock'
import { describe, expect, it } from 'vitest'
import { type Clock, memoryStore, StoreFullError, type StoredTokenSet } from '@tokenwarden/core'
import { ISSUER, setup, TOKEN_PATH, tokenReplies, useNock } from './helpers.ts'

useNock()

/** A clock the test moves by hand: the manager and the store read time only through it. */
function manualClock(start = 1_000_000): Clock & { advance(ms: number): void } {
	let now = start
	const timers = new Map<number, { at: number; run: () => void }>()
	let next = 0
	return {
		now: () => now,
		setTimeout(run, ms) {
			timers.set(++next, { at: now + ms, run })
			return next
		},
		clearTimeout(handle) {
			timers.delete(handle as number)
		},
		advance(ms) {
			now += ms
			for (const [id, timer] of [...timers]) {
				if (timer.at > now) continue
				timers.delete(id)
				timer.run()
			}
		},
	}
}

const access = (accessToken: string, requestedAt = 0): StoredTokenSet => ({ version: 1, accessToken, expiresAt: 10_000_000, requestedAt })
const grant = (refreshToken: string, requestedAt = 0): StoredTokenSet => ({ version: 1, refreshToken, requestedAt })

describe('memoryStore', () => {
	it('expires entries after their ttl, on its clock', async () => {
		const clock = manualClock()
		const store = memoryStore({ clock })
		await store.set('k', access('a'), { ttl: 1000 })
		expect((await store.get('k'))?.accessToken).toBe('a')
		clock.advance(1000)
		expect(await store.get('k')).toBeUndefined()
	})

	it('evicts the least recently used access-token entry past maxEntries', async () => {
		const store = memoryStore({ maxEntries: 2 })
		await store.set('a', access('a'), { ttl: 60_000 })
		await store.set('b', access('b'), { ttl: 60_000 })
		await store.get('a')
		await store.set('c', access('c'), { ttl: 60_000 })
		expect(await store.get('b')).toBeUndefined()
		expect((await store.get('a'))?.accessToken).toBe('a')
		expect((await store.get('c'))?.accessToken).toBe('c')
	})

	it('never evicts a refresh-token set: past maxRefreshEntries a new one is refused, an existing one updated', async () => {
		const store = memoryStore({ maxEntries: 1, maxRefreshEntries: 2 })
		await store.set('g1', grant('r1'), { ttl: 60_000 })
		await store.set('g2', grant('r2'), { ttl: 60_000 })
		for (let i = 0; i < 5; i++) await store.set(`a${i}`, access(`a${i}`), { ttl: 60_000 })
		await expect(store.set('g3', grant('r3'), { ttl: 60_000 })).rejects.toBeInstanceOf(StoreFullError)
		await store.set('g1', grant('r1-rotated', 1), { ttl: 60_000 })
		expect((await store.get('g1'))?.refreshToken).toBe('r1-rotated')
		expect((await store.get('g2'))?.refreshToken).toBe('r2')
		await store.delete('g2')
		await expect(store.set('g3', grant('r3'), { ttl: 60_000 })).resolves.toBeUndefined()
	})

	it('makes room for a new refresh-token set when an old one has expired', async () => {
		const clock = manualClock()
		const store = memoryStore({ maxRefreshEntries: 1, clock })
		await store.set('g1', grant('r1'), { ttl: 100 })
		clock.advance(100)
		await expect(store.set('g2', grant('r2'), { ttl: 100 })).resolves.toBeUndefined()
	})

	it('compare-and-delete removes only the matching token', async () => {
		const store = memoryStore()
		await store.set('k', access('current'), { ttl: 60_000 })
		expect(await store.compareAndDelete('k', 'stale')).toBe(false)
		expect((await store.get('k'))?.accessToken).toBe('current')
		expect(await store.compareAndDelete('k', 'current')).toBe(true)
		expect(await store.get('k')).toBeUndefined()
	})

	it("never replaces an entry with an older request's result", async () => {
		const store = memoryStore()
		await store.set('k', access('newer', 200), { ttl: 60_000 })
		await store.set('k', access('older', 100), { ttl: 60_000 })
		expect((await store.get('k'))?.accessToken).toBe('newer')
	})

	it('checks its options', () => {
		expect(() => memoryStore({ maxEntries: 0 })).toThrowError(/^tokenwarden: expected memoryStore maxEntries to be an integer of at least 1, got 0/)
		expect(() => memoryStore({ maxRefreshEntries: 1.5 })).toThrowError(TypeError)
		expect(() => memoryStore({ maxEntrys: 5 } as never)).toThrowError(/did you mean memoryStore options\.maxEntries\?/)
		expect(() => memoryStore({ clock: null } as never)).toThrowError(/expected memoryStore clock to be an object with now\(\), got null/)
	})
})

describe('the injectable clock', () => {
	it('drives expiry without fake timers or sleeps', async () => {
		const clock = manualClock(Date.parse('2026-05-01T00:00:00Z'))
		const replies = tokenReplies(300)
		nock(ISSUER).post(TOKEN_PATH).times(2).reply(replies.reply)
		const { tokens } = setup({ clock, refreshAhead: 0, expiryMargin: 10_000 })
		const first = await tokens.getToken()
		expect(first.expiresAt).toBe(clock.now() + 300_000)
		clock.advance(289_999)
		expect((await tokens.getToken()).accessToken).toBe('at-1')
		clock.advance(1)
		expect((await tokens.getToken()).accessToken).toBe('at-2')
	})
})

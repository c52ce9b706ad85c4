import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { memoryStore, StoreFullError, StoreUnavailableError, type StoredTokenSet, type StoreErrorEvent, type TokenStore, TokenWardenError } from '@tokenwarden/core'
import { GuardedStore, isNewerGrant, storeFailureKind } from '../src/guarded-store.ts'
import { HolderGrants } from '../src/holder-grants.ts'
import { systemClock } from '../src/resolve-options.ts'
import { Targets } from '../src/target.ts'
import { TokenCache } from '../src/token-cache.ts'

const T0 = Date.parse('2026-03-01T12:00:00Z')
const TIMEOUT = 1_000

beforeEach(() => {
	vi.useFakeTimers({ toFake: ['Date', 'setTimeout', 'clearTimeout'] })
	vi.setSystemTime(T0)
})
afterEach(() => {
	vi.useRealTimers()
})

class RedisLikeError extends TokenWardenError {
	override readonly code = 'REDIS_STORE_ERROR'
}

/** A memory store that fails while `down`, and whose `set` overwrites whatever is stored (as a fleet-lock holder's write may). */
function faultyStore() {
	const inner = memoryStore()
	const state = { down: false, gets: 0, sets: 0 }
	const fail = () => Promise.reject(new RedisLikeError('Redis did not answer within 300 ms'))
	const store: TokenStore = {
		get: (key) => (state.gets++, state.down ? fail() : inner.get(key)),
		set: async (key, value, options) => {
			state.sets++
			if (state.down) return fail()
			await inner.delete(key)
			await inner.set(key, value, options)
		},
		delete: (key) => (state.down ? fail() : inner.delete(key)),
		compareAndDelete: (key, token) => (state.down ? fail() : inner.compareAndDelete(key, token)),
	}
	return { store, state, inner }
}

function guarded(store: TokenStore) {
	const events: StoreErrorEvent[] = []
	return { guard: new GuardedStore(store, systemClock, TIMEOUT, TIMEOUT, (event) => events.push(event)), events }
}

const set = (refreshToken: string, requestedAt: number): StoredTokenSet => ({ version: 1, requestedAt, refreshToken })

describe('the store contract: outage or refusal', () => {
	it('an error is an outage unless it says storeFailure: refused', () => {
		expect(storeFailureKind(new Error('ECONNREFUSED'))).toBe('outage')
		expect(storeFailureKind(new RedisLikeError('timeout'))).toBe('outage')
		expect(storeFailureKind(Object.assign(new RedisLikeError('tampered'), { storeFailure: 'refused' }))).toBe('refused')
		expect(storeFailureKind(new StoreFullError(1))).toBe('refused')
		expect(storeFailureKind(undefined)).toBe('outage')
	})

	it('pauses on an outage of any error class: one failed call, then the store is skipped until the pause ends', async () => {
		const { store, state } = faultyStore()
		const { guard, events } = guarded(store)
		state.down = true
		expect(await guard.get('a')).toBeUndefined()
		expect(await guard.tryGet('b')).toEqual({ failed: true, value: undefined })
		expect(state.gets).toBe(1)
		expect(events).toHaveLength(1)
		state.down = false
		vi.setSystemTime(T0 + TIMEOUT)
		expect(await guard.tryGet('b')).toEqual({ failed: false, value: undefined })
	})

	it('does not pause for a refusal', async () => {
		const inner = memoryStore()
		const refusing: TokenStore = { ...inner, get: () => Promise.reject(Object.assign(new Error('unreadable entry'), { storeFailure: 'refused' })) }
		const { guard } = guarded(refusing)
		await guard.get('a')
		await guard.set('a', set('x', T0), 1_000)
		expect(await inner.get('a')).toMatchObject({ refreshToken: 'x' })
	})

	it('a call that outlives the timeout is an outage', async () => {
		const hanging: TokenStore = { ...memoryStore(), get: () => new Promise(() => {}) }
		const { guard, events } = guarded(hanging)
		const read = guard.tryGet('a')
		await vi.advanceTimersByTimeAsync(TIMEOUT)
		expect(await read).toEqual({ failed: true, value: undefined })
		expect(events[0]?.error.message).toMatch(/did not answer within 1000 ms/)
	})
})

describe('pending writes of refresh-token sets', () => {
	it('keeps a set it could not write and writes it when the pause ends', async () => {
		const { store, state, inner } = faultyStore()
		const { guard } = guarded(store)
		state.down = true
		expect(await guard.saveGrant('g', set('rt-2', T0), 60_000)).toBe('pending')
		expect(guard.pendingGrant('g')?.refreshToken).toBe('rt-2')
		// While paused, another save is kept without calling the store; the newest per key wins.
		expect(await guard.saveGrant('g', set('rt-3', T0 + 1), 60_000)).toBe('pending')
		expect(await guard.saveGrant('g', set('rt-old', T0 - 1), 60_000)).toBe('pending')
		state.down = false
		await vi.advanceTimersByTimeAsync(TIMEOUT)
		expect((await inner.get('g'))?.refreshToken).toBe('rt-3')
		expect(guard.pendingGrant('g')).toBeUndefined()
	})

	it('never writes it over a newer set, even on a store whose set overwrites', async () => {
		const { store, state, inner } = faultyStore()
		const { guard } = guarded(store)
		state.down = true
		await guard.saveGrant('g', set('rt-2', T0), 60_000)
		state.down = false
		await inner.set('g', set('rt-3', T0 + 5), { ttl: 60_000 })
		await vi.advanceTimersByTimeAsync(TIMEOUT)
		expect((await inner.get('g'))?.refreshToken).toBe('rt-3')
		expect(guard.pendingGrant('g')).toBeUndefined()
	})

	it('tries again after each pause while the store stays down', async () => {
		const { store, state, inner } = faultyStore()
		const { guard } = guarded(store)
		state.down = true
		await guard.saveGrant('g', set('rt-2', T0), 60_000)
		await vi.advanceTimersByTimeAsync(3 * TIMEOUT)
		expect(guard.pendingGrant('g')?.refreshToken).toBe('rt-2')
		state.down = false
		await vi.advanceTimersByTimeAsync(TIMEOUT)
		expect((await inner.get('g'))?.refreshToken).toBe('rt-2')
	})

	it('a refused write fails the caller and is not kept', async () => {
		const { guard } = guarded(memoryStore({ maxRefreshEntries: 1 }))
		await guard.saveGrant('a', set('rt-a', T0), 60_000)
		await expect(guard.saveGrant('b', set('rt-b', T0), 60_000)).rejects.toBeInstanceOf(StoreFullError)
		expect(guard.pendingGrant('b')).toBeUndefined()
	})

	it('a newer set wins over a pending one only when it was requested later', () => {
		expect(isNewerGrant(undefined, set('a', T0))).toBe(false)
		expect(isNewerGrant(set('b', T0 + 1), set('a', T0))).toBe(true)
		expect(isNewerGrant(set('b', T0), set('a', T0))).toBe(false)
		expect(isNewerGrant(set('a', T0 + 1), set('a', T0))).toBe(false)
	})
})

describe('HolderGrants', () => {
	function holderGrants() {
		const faulty = faultyStore()
		const { guard } = guarded(faulty.store)
		const cache = new TokenCache({ refreshAhead: 60_000, expiryMargin: 10_000 })
		const targets = new Targets('https://auth.example.com/token', 'client-1', [], Number.POSITIVE_INFINITY)
		const grants = new HolderGrants({
			store: guard,
			cache,
			targets,
			clock: systemClock,
			emit: () => {},
			tokenUrl: 'https://auth.example.com/token',
			clientId: 'client-1',
			consentWarning: 0,
		})
		return { ...faulty, guard, grants, key: grants.keyOf('h') }
	}

	it('spends the store set; with the store down, never a local copy that may be stale', async () => {
		const { grants, state, inner, key } = holderGrants()
		await inner.set(key, set('rt-1', T0), { ttl: 60_000 })
		expect((await grants.current('h'))?.refreshToken).toBe('rt-1')
		state.down = true
		await expect(grants.current('h')).rejects.toBeInstanceOf(StoreUnavailableError)
		// consent() may still say what this process knows: nothing is spent.
		expect((await grants.known('h'))?.refreshToken).toBe('rt-1')
	})

	it('spends nothing while the store is down, not even its pending set: that write could land after its successor', async () => {
		const { grants, state, guard, key } = holderGrants()
		state.down = true
		await grants.save('h', set('rt-2', T0))
		await expect(grants.current('h')).rejects.toBeInstanceOf(StoreUnavailableError)
		expect(guard.pendingGrant(key)?.refreshToken).toBe('rt-2')
		expect((await grants.known('h'))?.refreshToken).toBe('rt-2')
	})

	it('when the store is back, writes its pending set before spending it, unless the store has a newer one', async () => {
		const { grants, state, inner, key, guard } = holderGrants()
		state.down = true
		await grants.save('h', set('rt-2', T0))
		state.down = false
		vi.setSystemTime(T0 + TIMEOUT)
		await inner.set(key, set('rt-1', T0 - 10), { ttl: 60_000 })
		expect((await grants.current('h'))?.refreshToken).toBe('rt-2')
		expect((await inner.get(key))?.refreshToken).toBe('rt-2')

		state.down = true
		vi.setSystemTime(T0 + 2 * TIMEOUT)
		await grants.save('h', set('rt-3', T0 + 2 * TIMEOUT))
		state.down = false
		vi.setSystemTime(T0 + 4 * TIMEOUT)
		await inner.set(key, set('rt-9', T0 + 3 * TIMEOUT), { ttl: 60_000 })
		expect((await grants.current('h'))?.refreshToken).toBe('rt-9')
		expect(guard.pendingGrant(key)).toBeUndefined()
	})

	it('a readable store without a set means no consent; forgetting a spent token keeps a live successor', async () => {
		const { grants, inner, key } = holderGrants()
		expect(await grants.current('h')).toBeUndefined()
		await inner.set(key, set('rt-5', T0), { ttl: 60_000 })
		expect(await grants.forget('h', 'rt-4')).toBe(false)
		expect((await inner.get(key))?.refreshToken).toBe('rt-5')
		expect(await grants.forget('h', 'rt-5')).toBe(true)
		expect(await inner.get(key)).toBeUndefined()
	})

	it('serialises the tasks of one holder', async () => {
		const { grants } = holderGrants()
		const order: string[] = []
		const slow = grants.serialise('h', async () => {
			await new Promise((resolve) => setTimeout(resolve, 10))
			order.push('first')
		})
		const fast = grants.serialise('h', async () => void order.push('second'))
		await vi.advanceTimersByTimeAsync(10)
		await Promise.all([slow, fast])
		expect(order).toEqual(['first', 'second'])
	})
})

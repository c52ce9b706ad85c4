import nock from 'nock'
import { describe, expect, it, vi } from 'vitest'
import { type Clock, memoryStore, StoreUnavailableError, type TokenManagerOptions, type TokenStore } from '@tokenwarden/core'
import { ISSUER, recorder, setup, TOKEN_PATH, useNock } from './helpers.ts'

/**
 * Issue 12 (the chaos test's lost consents): an account holder's refresh token is spent only under the
 * store's fleet lock. A process whose store pause skipped the lock, and ended a moment later, could read
 * the holder's set and spend its refresh token while a peer held the lock and spent the same one: with
 * reuse detection (RFC 9700 §4.14.2) the whole family is revoked. Without the lock the call fails with
 * StoreUnavailableError instead.
 */
useNock()

const T0 = Date.parse('2026-03-01T12:00:00Z')
const SUBJECT = 'account-42'

/** A shared store with a fleet lock (taken at once or refused as an outage, like a Redis lock another process holds), failing on demand. */
function sharedStore() {
	const inner = memoryStore()
	const held = new Set<string>()
	const state = { down: false }
	const outage = () => Promise.reject(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6379'), { code: 'ECONNREFUSED' }))
	const store: TokenStore = {
		get: (key) => (state.down ? outage() : inner.get(key)),
		set: (key, value, options) => (state.down ? outage() : inner.set(key, value, options)),
		delete: (key) => (state.down ? outage() : inner.delete(key)),
		compareAndDelete: (key, token) => (state.down ? outage() : inner.compareAndDelete(key, token)),
		lock: async (key) => {
			if (state.down || held.has(key)) return outage()
			held.add(key)
			return { release: async () => void held.delete(key) }
		},
	}
	return { store, state, held }
}

/** A busy process: time moves on by 1 ms at every reading, so a pause can end between any two steps of a call. */
function busyClock(): Clock & { time: number } {
	return {
		time: T0,
		now() {
			this.time += 1
			return this.time
		},
		setTimeout: (callback, ms) => globalThis.setTimeout(callback, ms),
		clearTimeout: (handle) => globalThis.clearTimeout(handle as ReturnType<typeof globalThis.setTimeout>),
	}
}

function holderManager(store: TokenStore, clock?: Clock) {
	return setup({
		authorizeUrl: `${ISSUER}/oauth/authorize`,
		redirectUri: 'https://app.example.com/callback',
		timeout: 1_000,
		retry: { limit: 0 },
		store,
		...(clock && { clock }),
	} as Partial<TokenManagerOptions>)
}

describe('a holder refresh and the fleet lock (issue 12)', () => {
	it('spends a refresh token only while holding the fleet lock, also when a store pause ends in the middle of the call', async () => {
		const { store, state, held } = sharedStore()
		let issued = 0
		const unlocked: string[] = []
		const endpoint = recorder((seen) => {
			if (seen.form.grant_type === 'refresh_token' && held.size === 0) unlocked.push(seen.form.refresh_token ?? '')
			issued++
			return [200, { access_token: `at-${issued}`, token_type: 'Bearer', expires_in: 300, refresh_token: `rt-${issued}` }]
		})
		nock(ISSUER).post(TOKEN_PATH).times(1000).reply(endpoint.reply)
		await holderManager(store).tokens.exchangeCode({ code: 'code-1', state: 's', expectedState: 's', subject: SUBJECT })

		// Each round: a fresh process whose store fails once (a pause of `timeout`, 1 s), then a forced refresh
		// started a little earlier each round, so that in some round the pause ends between two steps of it.
		const outcomes = new Set<string>()
		for (let early = 0; early < 60; early++) {
			const clock = busyClock()
			const { tokens } = holderManager(store, clock)
			state.down = true
			await expect(tokens.getToken({ subject: SUBJECT, forceRefresh: true })).rejects.toThrow(StoreUnavailableError)
			state.down = false
			clock.time = T0 + 1_030 - early
			const result = await tokens.getToken({ subject: SUBJECT, forceRefresh: true }).then(
				() => 'refreshed',
				(error: unknown) => (error instanceof StoreUnavailableError ? 'unavailable' : `${(error as Error).name}`),
			)
			outcomes.add(result)
		}
		// Both sides of the pause were reached, and no refresh token left this process without the lock.
		expect(outcomes).toEqual(new Set(['refreshed', 'unavailable']))
		expect(unlocked).toEqual([])
	})

	it('fails with StoreUnavailableError, and spends nothing, when the store refuses the lock but can be read', async () => {
		const { store } = sharedStore()
		const endpoint = recorder((_seen, count) => [200, { access_token: `at-${count}`, token_type: 'Bearer', expires_in: 300, refresh_token: `rt-${count}` }])
		nock(ISSUER).post(TOKEN_PATH).times(10).reply(endpoint.reply)
		const { tokens } = holderManager(store)
		await tokens.exchangeCode({ code: 'code-1', state: 's', expectedState: 's', subject: SUBJECT })
		// A refusal (say Redis at maxmemory answering the lock's SET with OOM) does not pause the store: reads still work.
		store.lock = () => Promise.reject(Object.assign(new Error('OOM command not allowed'), { storeFailure: 'refused' }))
		await expect(tokens.getToken({ subject: SUBJECT, forceRefresh: true })).rejects.toThrow(StoreUnavailableError)
		expect(endpoint.seen.filter((seen) => seen.form.grant_type === 'refresh_token')).toEqual([])
	})

	it('keeps the fleet lock on the holder until a rotated set kept pending in an outage reaches the store', async () => {
		const { store, state, held } = sharedStore()
		const endpoint = recorder((_seen, count) => [200, { access_token: `at-${count}`, token_type: 'Bearer', expires_in: 300, refresh_token: `rt-${count}` }])
		nock(ISSUER)
			.post(TOKEN_PATH)
			.times(10)
			.reply(async (request: Request) => {
				const reply = await endpoint.reply(request)
				// The store goes down while the server answers a refresh: the rotated set cannot be written.
				if (endpoint.seen.at(-1)?.form.grant_type === 'refresh_token') state.down = true
				return reply
			})
		const { tokens } = holderManager(store)
		await tokens.exchangeCode({ code: 'code-1', state: 's', expectedState: 's', subject: SUBJECT })
		const token = await tokens.getToken({ subject: SUBJECT, forceRefresh: true })
		expect(token.accessToken).toBe('at-2')
		// rt-2 exists only in this process: a peer taking the lock now would read rt-1, already spent.
		expect(held.size).toBe(1)
		state.down = false
		// The pause (the timeout, 1 s) ends, the pending set is written, and only then the lock is released.
		await vi.waitFor(() => expect(held.size).toBe(0), { timeout: 3_000, interval: 50 })
		const grantKey = `tokenwarden:v1:grant:${[`${ISSUER}${TOKEN_PATH}`, 'client-1', SUBJECT].map(encodeURIComponent).join(':')}`
		expect((await store.get(grantKey))?.refreshToken).toBe('rt-2')
	})
})

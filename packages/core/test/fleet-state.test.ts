import nock from 'nock'
import { describe, expect, it, vi } from 'vitest'
import { ConsentRequiredError, memoryStore, StoreUnavailableError, type TokenManagerOptions, type TokenStore, TokenWardenError } from '@tokenwarden/core'
import { CLIENT_ID, flush, ISSUER, recorder, setup, TOKEN_PATH, TOKEN_URL, useFakeTime, useNock } from './helpers.ts'

/**
 * The five defects of issue 12, each on the public API with an in-memory store that can fail on
 * demand: state shared by a fleet of managers (one store, several managers) must survive outages.
 */
useNock()

const T0 = Date.parse('2026-03-01T12:00:00Z')
useFakeTime(T0)

const REDIRECT_URI = 'https://app.example.com/callback'

/** Rotates refresh tokens; with `revokeFamilyOnReuse`, a spent one kills every token of its family (RFC 9700 §4.14.2). */
function rotatingServer({ revokeFamilyOnReuse = false, expiresIn = 300, onRefresh = () => {} } = {}) {
	const live = new Set<string>()
	let issued = 0
	let familyAlive = true
	let invalidGrants = 0
	const endpoint = recorder((seen) => {
		const issue = (): readonly [number, unknown] => {
			issued++
			live.add(`rt-${issued}`)
			return [200, { access_token: `at-${issued}`, token_type: 'Bearer', expires_in: expiresIn, refresh_token: `rt-${issued}` }]
		}
		if (seen.form.grant_type === 'authorization_code') return issue()
		onRefresh()
		if (!familyAlive || !live.delete(seen.form.refresh_token ?? '')) {
			invalidGrants++
			if (revokeFamilyOnReuse) familyAlive = false
			return [400, { error: 'invalid_grant' }]
		}
		return issue()
	})
	nock(ISSUER).post(TOKEN_PATH).times(1000).reply(endpoint.reply)
	return {
		endpoint,
		invalidGrants: () => invalidGrants,
		refreshTokensSent: () => endpoint.seen.filter((seen) => seen.form.grant_type === 'refresh_token').map((seen) => seen.form.refresh_token),
	}
}

/**
 * A memory store that fails while `down` (like a Redis that is stopped), and whose `set` overwrites
 * whatever is stored (like the Redis store's write by the fleet-lock holder): the manager must not
 * rely on the store's newer-wins rule to keep a newer refresh token.
 */
function faultyStore() {
	const inner = memoryStore()
	const state = { down: false }
	const fail = () => Promise.reject(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6379'), { code: 'ECONNREFUSED' }))
	const store: TokenStore = {
		get: (key) => (state.down ? fail() : inner.get(key)),
		set: async (key, value, options) => {
			if (state.down) return fail()
			await inner.delete(key)
			await inner.set(key, value, options)
		},
		delete: (key) => (state.down ? fail() : inner.delete(key)),
		compareAndDelete: (key, token) => (state.down ? fail() : inner.compareAndDelete(key, token)),
	}
	return { store, state, inner }
}

function holderManager(store: TokenStore, overrides: Partial<TokenManagerOptions> = {}) {
	return setup({
		authorizeUrl: `${ISSUER}/oauth/authorize`,
		redirectUri: REDIRECT_URI,
		scope: 'saldo.read extrato.read',
		timeout: 1_000,
		retry: { limit: 1, delay: 1 },
		store,
		...overrides,
	})
}

const SUBJECT = 'account-42'
const GRANT_KEY = `tokenwarden:v1:grant:${[TOKEN_URL, CLIENT_ID, SUBJECT].map(encodeURIComponent).join(':')}`
const consentOf = (events: { type: string }[]) => events.filter((event) => event.type === 'consent-required')

describe('defect 1: a store outage never loses a rotated refresh token for the fleet', () => {
	it('the token rotated while the store was down reaches it when the store is back, is never written over a newer one, and nobody reports lost consent', async () => {
		const { store, state, inner } = faultyStore()
		let cutOff = true
		// The store goes down while a's first refresh is at the server: the rotated rt-2 cannot be written.
		const server = rotatingServer({ revokeFamilyOnReuse: true, onRefresh: () => void (cutOff && (state.down = true), (cutOff = false)) })
		const a = holderManager(store)
		const b = holderManager(store)
		const { state: oauthState } = await a.tokens.authorizationUrl()
		await a.tokens.exchangeCode({ code: 'c', state: oauthState, expectedState: oauthState, subject: SUBJECT })
		expect((await a.tokens.getToken({ subject: SUBJECT, forceRefresh: true })).accessToken).toBe('at-2')
		// The store comes back; a writes what it kept once its pause is over, without being asked.
		state.down = false
		await vi.advanceTimersByTimeAsync(1_500)
		await flush()
		const grantKeyOf = async () => (await inner.get(GRANT_KEY))?.refreshToken
		expect(await grantKeyOf()).toBe('rt-2')
		// b refreshes normally (rt-2 -> rt-3); then a refreshes again and must use rt-3, not its old rt-2.
		expect((await b.tokens.getToken({ subject: SUBJECT, forceRefresh: true })).accessToken).toBe('at-3')
		vi.setSystemTime(Date.now() + 301_000)
		expect((await a.tokens.getToken({ subject: SUBJECT })).accessToken).toBe('at-4')
		expect(await grantKeyOf()).toBe('rt-4')
		expect(server.refreshTokensSent()).toEqual(['rt-1', 'rt-2', 'rt-3'])
		expect(server.invalidGrants()).toBe(0)
		expect(consentOf([...a.events, ...b.events])).toEqual([])
	})

	it('a newer set written by another process while this one was cut off is never replaced by the set it kept', async () => {
		const { store, state, inner } = faultyStore()
		rotatingServer({ onRefresh: () => void (state.down = true) })
		const a = holderManager(store)
		const { state: oauthState } = await a.tokens.authorizationUrl()
		await a.tokens.exchangeCode({ code: 'c', state: oauthState, expectedState: oauthState, subject: SUBJECT })
		await a.tokens.getToken({ subject: SUBJECT, forceRefresh: true }) // a keeps rt-2, unsaved
		// Meanwhile another process wrote a newer set (say, after a consent done again elsewhere).
		const key = GRANT_KEY
		await inner.set(key, { version: 1, requestedAt: Date.now() + 1, refreshToken: 'rt-newer', scope: ['extrato.read', 'saldo.read'] }, { ttl: 60_000 })
		state.down = false
		await vi.advanceTimersByTimeAsync(1_500)
		await flush()
		expect((await inner.get(key))?.refreshToken).toBe('rt-newer')
	})
})

describe('defect 2: no false "consent required" while the store cannot be read', () => {
	it('a stale local copy of the refresh token is not spent: StoreUnavailableError, no consent-required event, no request', async () => {
		const server = rotatingServer({ revokeFamilyOnReuse: true })
		const { store, state } = faultyStore()
		const a = holderManager(store)
		const b = holderManager(store)
		const { state: oauthState } = await a.tokens.authorizationUrl()
		await a.tokens.exchangeCode({ code: 'c', state: oauthState, expectedState: oauthState, subject: SUBJECT })
		// b rotates rt-1 -> rt-2 while the store is up; a still holds rt-1 locally.
		vi.setSystemTime(Date.now() + 301_000)
		await b.tokens.getToken({ subject: SUBJECT })
		state.down = true
		vi.setSystemTime(Date.now() + 301_000)
		const error = await a.tokens.getToken({ subject: SUBJECT }).catch((caught: unknown) => caught)
		expect(error).toBeInstanceOf(StoreUnavailableError)
		expect(error).not.toBeInstanceOf(ConsentRequiredError)
		expect(consentOf(a.events)).toEqual([])
		expect(server.invalidGrants()).toBe(0)
		// The consent is alive: once the store is back, a refreshes with rt-2.
		state.down = false
		vi.setSystemTime(Date.now() + 1_001)
		expect((await a.tokens.getToken({ subject: SUBJECT })).accessToken).toBe('at-3')
		expect(server.refreshTokensSent()).toEqual(['rt-1', 'rt-2'])
	})
})

describe('defect 3: the same access token under two keys', () => {
	it('one invalidate drops it under every key', async () => {
		let n = 0
		nock(ISSUER)
			.post(TOKEN_PATH)
			.times(10)
			.reply(() => [200, { access_token: n++ < 2 ? 'shared' : `fresh-${n}`, token_type: 'Bearer', expires_in: 3600 }])
		const { tokens } = setup()
		const read = await tokens.getToken({ scope: 'read' })
		const write = await tokens.getToken({ scope: 'write' })
		expect(read.accessToken).toBe('shared')
		expect(write.accessToken).toBe('shared')
		expect(await tokens.invalidate(read)).toBe(true)
		expect((await tokens.getToken({ scope: 'read' })).accessToken).not.toBe('shared')
		expect((await tokens.getToken({ scope: 'write' })).accessToken).not.toBe('shared')
	})
})

describe('defect 4: the store pause engages whatever the error class', () => {
	it('a store error that is a TokenWardenError (as the Redis store throws) pauses the store too', async () => {
		let n = 0
		nock(ISSUER)
			.post(TOKEN_PATH)
			.times(10)
			.reply(() => [200, { access_token: `at-${++n}`, token_type: 'Bearer', expires_in: 3600 }])
		class RedisLikeError extends TokenWardenError {
			override readonly code = 'REDIS_STORE_ERROR'
		}
		let gets = 0
		const inner = memoryStore()
		const failing: TokenStore = {
			...inner,
			get: () => (gets++, Promise.reject(new RedisLikeError('Redis did not answer within 300 ms'))),
		}
		const { tokens, events } = setup({ store: failing })
		for (const scope of ['a', 'b', 'c', 'd', 'e']) await tokens.getToken({ scope })
		expect(gets).toBe(1)
		expect(events.filter((event) => event.type === 'store-error')).toHaveLength(1)
	})
})

describe('defect 5: a consent started in one process can be finished in another', () => {
	it('records the scope asked for, although the server does not echo it and another manager built the URL', async () => {
		const server = rotatingServer()
		const store = memoryStore()
		const a = holderManager(store)
		const b = holderManager(store)
		const { state } = await a.tokens.authorizationUrl({ scope: 'saldo.read' })
		await b.tokens.exchangeCode({ code: 'c', state, expectedState: state, subject: SUBJECT })
		expect(await b.tokens.consent({ subject: SUBJECT })).toMatchObject({ scope: ['saldo.read'] })
		vi.setSystemTime(Date.now() + 301_000)
		await a.tokens.getToken({ subject: SUBJECT })
		expect(server.endpoint.seen.at(-1)?.form.scope).toBe('saldo.read')
	})
})

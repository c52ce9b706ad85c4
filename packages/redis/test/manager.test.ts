import { randomBytes } from 'node:crypto'
import { createTokenManager, type TokenWardenEvent } from '@tokenwarden/core'
import { afterEach, describe, expect, it } from 'vitest'
import { redisStore, type RedisStoreOptions } from '../src/index.ts'
import { closeLater, connect, uniquePrefix } from './helpers.ts'
import { startTokenServer, type TokenServer } from './token-server.ts'

let server: TokenServer | undefined
afterEach(async () => {
	await server?.close()
	server = undefined
})

/** Managers in one process, each with its own client, as separate processes would have. */
async function fleet(size: number, storeOptions: RedisStoreOptions = {}) {
	server = await startTokenServer()
	const prefix = uniquePrefix()
	const events: TokenWardenEvent[] = []
	const managers = await Promise.all(
		Array.from({ length: size }, async () => {
			const store = redisStore(await connect(), { prefix, ...storeOptions })
			closeLater(store)
			return createTokenManager({
				tokenUrl: (server as TokenServer).url,
				clientId: 'client-1',
				clientSecret: 'client-secret-value',
				redirectUri: 'https://app.example/callback',
				timeout: 2_000,
				store,
				onEvent: (event) => events.push(event),
			})
		}),
	)
	return { managers, events, server: server as TokenServer, prefix }
}

describe('managers sharing a Redis store', () => {
	it('make one token request between them for concurrent callers', async () => {
		const { managers, server, events } = await fleet(3)
		const tokens = await Promise.all(managers.flatMap((manager) => Array.from({ length: 50 }, () => manager.getToken())))
		expect(server.count()).toBe(1)
		expect(new Set(tokens.map((token) => token.accessToken))).toEqual(new Set(['cc-1']))
		expect(events.filter((event) => event.type === 'store-error')).toEqual([])
	})

	it('compare-and-delete in the shared store: one new token after many invalidations of the same stale one', async () => {
		const { managers, server } = await fleet(2)
		const [a, b] = managers as [ReturnType<typeof createTokenManager>, ReturnType<typeof createTokenManager>]
		const stale = await a.getToken()
		expect((await b.getToken()).accessToken).toBe(stale.accessToken)
		expect(await a.invalidate(stale)).toBe(true)
		const fresh = await a.getToken()
		expect(fresh.accessToken).not.toBe(stale.accessToken)
		// b invalidates the same stale token: the shared entry is the fresh one now and stays.
		await b.invalidate(stale)
		expect((await b.getToken()).accessToken).toBe(fresh.accessToken)
		expect(server.count('client_credentials')).toBe(2)
	})

	for (const encrypted of [false, true]) {
		it(`share a holder's rotated refresh token (${encrypted ? 'encrypted' : 'in clear'})`, async () => {
			const encryption = encrypted ? { keys: { main: randomBytes(32) }, current: 'main' } : undefined
			const { managers, server, events } = await fleet(2, { encryption })
			const [a, b] = managers as [ReturnType<typeof createTokenManager>, ReturnType<typeof createTokenManager>]
			const subject = 'account-42'
			const first = await a.exchangeCode({ code: 'code-1', state: 's', expectedState: 's', subject })
			// b has never seen this holder: the access token comes from Redis.
			expect((await b.getToken({ subject })).accessToken).toBe(first.accessToken)
			// Each refresh reads the refresh token the other one rotated, under the grant lock.
			const force = (manager: typeof a) => manager.getToken({ subject, forceRefresh: true })
			const second = await force(b)
			// a replaces the token it had, first: another process already did, so a adopts that one.
			expect((await force(a)).accessToken).toBe(second.accessToken)
			const third = await force(a)
			expect((await force(b)).accessToken).toBe(third.accessToken)
			const fourth = await force(b)
			expect(new Set([first, second, third, fourth].map((token) => token.accessToken)).size).toBe(4)
			expect(server.count('refresh_token')).toBe(3)
			expect(server.invalidGrants()).toBe(0)
			expect(events.filter((event) => event.type === 'consent-required' || event.type === 'store-error')).toEqual([])
			expect(await a.consent({ subject })).toMatchObject({ subject })
		})
	}
})

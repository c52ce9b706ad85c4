/**
 * Issue 12: a rotated refresh token is never lost across a fleet, whatever Redis does. Each invariant
 * runs against a real redis-server (started here when the test stops, kills or pauses it) and a local
 * authorization server that rotates refresh tokens and, where said, revokes the whole family when a
 * spent one is used again (RFC 9700 §4.14.2): spending a stale refresh token then loses the consent.
 */
import { ConsentRequiredError, createTokenManager, StoreUnavailableError, type TokenManager, type TokenWardenEvent } from '@tokenwarden/core'
import { afterEach, describe, expect, inject, it } from 'vitest'
import { redisStore, type RedisStoreError, type RedisTokenStore } from '../src/index.ts'
import { type Fleet, startFleet, type WorkerReply } from './fleet.ts'
import { closeLater, connect, delay, uniquePrefix, within } from './helpers.ts'
import { type RedisServer, startRedisServer } from './redis-server.ts'
import { startTokenServer, type TokenServer } from './token-server.ts'

let fleet: Fleet | undefined
let server: TokenServer | undefined
let redis: RedisServer | undefined
afterEach(async () => {
	await fleet?.close()
	await server?.close()
	await redis?.dispose()
	fleet = undefined
	server = undefined
	redis = undefined
})

const SUBJECT = 'account-42'
const CLIENT_ID = 'client-1'

/** The store key of a holder's grant, as core names it. */
const grantKeyOf = (tokenServer: TokenServer, subject: string) => `tokenwarden:v1:grant:${[tokenServer.url, CLIENT_ID, subject].map(encodeURIComponent).join(':')}`

/** Managers as separate processes would have them: each with its own client and store on one Redis. */
async function managers(count: number, url: string, tokenServer: TokenServer, options: { timeout?: number; commandTimeout?: number } = {}) {
	const prefix = uniquePrefix()
	const events: TokenWardenEvent[] = []
	const clients = await Promise.all(Array.from({ length: count }, () => connect(url)))
	const stores = clients.map((client) => redisStore(client, { prefix, commandTimeout: options.commandTimeout ?? 300 }))
	stores.forEach(closeLater)
	const made = stores.map((store) =>
		createTokenManager({
			tokenUrl: tokenServer.url,
			clientId: CLIENT_ID,
			clientSecret: 'client-secret-value',
			redirectUri: 'https://app.example/callback',
			authorizeUrl: 'https://auth.example/authorize',
			scope: ['default.scope'],
			timeout: options.timeout ?? 1_000,
			retry: { limit: 1, delay: 50, maxDelay: 100 },
			store,
			onEvent: (event) => events.push(event),
		}),
	)
	const ready = () =>
		within(
			(async () => {
				while (!clients.every((client) => client.isReady)) await delay(20)
			})(),
			5_000,
			'clients reconnecting',
		)
	return { managers: made as TokenManager[], stores: stores as RedisTokenStore[], events, ready, prefix }
}

const consentRequired = (events: TokenWardenEvent[]) => events.filter((event) => event.type === 'consent-required')

/**
 * Calls `call` until it stops failing with StoreUnavailableError (a manager leaves a store that failed
 * alone for a moment after it is back), for at most 5 s. Any other error fails at once.
 */
async function eventually<T>(call: () => Promise<T>): Promise<T> {
	const deadline = Date.now() + 5_000
	for (;;) {
		try {
			return await call()
		} catch (error) {
			if (!(error instanceof StoreUnavailableError) || Date.now() > deadline) throw error
			await delay(100)
		}
	}
}

describe('fleet invariants on a real Redis (issue 12)', () => {
	it('never writes a refresh token rotated while Redis was unreachable over a newer one', async () => {
		redis = await startRedisServer({ persistent: true })
		server = await startTokenServer({ revokeFamilyOnReuse: true })
		const { managers: [a, b] = [], stores, events, ready } = await managers(2, redis.url, server)
		const grant = grantKeyOf(server, SUBJECT)
		await (a as TokenManager).exchangeCode({ code: 'code-1', state: 's', expectedState: 's', subject: SUBJECT })

		// A refreshes; Redis dies while the bank answers: A holds the rotated RT2, unsaved.
		server.hold()
		const refreshing = (a as TokenManager).getToken({ subject: SUBJECT, forceRefresh: true }).catch((error: unknown) => error)
		await within(server.nextHeld(), 5_000, 'the refresh request')
		await redis.stop('SIGKILL')
		server.answerHeld()
		await refreshing
		expect(server.count('refresh_token')).toBe(1)
		await redis.start()
		await ready()
		// RT2 reaches Redis (the store writes it again once Redis answers); then B rotates normally: RT3.
		await within(
			(async () => {
				while (!server.isValid((await stores[1]?.get(grant).catch(() => undefined))?.refreshToken)) await delay(50)
			})(),
			5_000,
			'the refresh token rotated during the outage written',
		)
		await eventually(() => (b as TokenManager).getToken({ subject: SUBJECT, forceRefresh: true }))
		await eventually(() => (b as TokenManager).getToken({ subject: SUBJECT, forceRefresh: true }))

		// A comes back to the holder (its first forced call may adopt the token B stored): it must neither
		// put RT2 back nor spend it.
		await eventually(() => (a as TokenManager).getToken({ subject: SUBJECT, forceRefresh: true }))
		await eventually(() => (a as TokenManager).getToken({ subject: SUBJECT, forceRefresh: true }))
		await eventually(() => (b as TokenManager).getToken({ subject: SUBJECT, forceRefresh: true }))
		expect(server.revokedFamilies()).toEqual([])
		expect(server.invalidGrants()).toBe(0)
		expect(server.isValid((await stores[0]?.get(grant))?.refreshToken)).toBe(true)
		expect(consentRequired(events)).toEqual([])
	})

	it('uses a newer refresh token found in the store before deleting the holder (invalid_grant on a token another process rotated)', async () => {
		server = await startTokenServer()
		const { managers: [a] = [], stores, events } = await managers(1, inject('redisUrl'), server)
		const grant = grantKeyOf(server, SUBJECT)
		await (a as TokenManager).exchangeCode({ code: 'code-1', state: 's', expectedState: 's', subject: SUBJECT })
		server.hold()
		const refreshing = (a as TokenManager).getToken({ subject: SUBJECT, forceRefresh: true })
		refreshing.catch(() => {})
		await within(server.nextHeld(), 5_000, 'the refresh request')
		// Meanwhile another process (whose lock lease had lapsed) rotated rt-1 and stored its successor.
		const successor = server.rotateOutOfBand('rt-1')
		await stores[0]?.set(grant, { version: 1, requestedAt: Date.now(), refreshToken: successor }, { ttl: 600_000 })
		server.answerHeld()

		const token = await within(refreshing, 5_000, 'the refresh')
		expect(token.accessToken).toMatch(/^ar-/)
		expect(consentRequired(events)).toEqual([])
		const stored = (await stores[0]?.get(grant))?.refreshToken
		expect(stored).toBeDefined()
		expect(stored).not.toBe(successor)
		expect(server.familyValid('code-1')).toBe(true)
	})

	it('fails with StoreUnavailableError, never ConsentRequiredError, while the store cannot be read, and spends no stale refresh token', async () => {
		redis = await startRedisServer({ persistent: true })
		server = await startTokenServer({ revokeFamilyOnReuse: true })
		const { managers: [a, b] = [], events, ready } = await managers(2, redis.url, server)
		await (a as TokenManager).exchangeCode({ code: 'code-1', state: 's', expectedState: 's', subject: SUBJECT })
		// B holds a copy of the holder's refresh token, which A then rotates (A's first forced call adopts
		// the token B stored, the second refreshes): B's copy is stale.
		await (b as TokenManager).getToken({ subject: SUBJECT, forceRefresh: true })
		await (a as TokenManager).getToken({ subject: SUBJECT, forceRefresh: true })
		await (a as TokenManager).getToken({ subject: SUBJECT, forceRefresh: true })
		expect(server.count('refresh_token')).toBe(2)

		await redis.stop('SIGKILL')
		const error = await (b as TokenManager).getToken({ subject: SUBJECT, forceRefresh: true }).catch((caught: unknown) => caught)
		expect(error).toBeInstanceOf(StoreUnavailableError)
		expect(error).not.toBeInstanceOf(ConsentRequiredError)
		expect(consentRequired(events)).toEqual([])
		expect(server.invalidGrants()).toBe(0)

		await redis.start()
		await ready()
		const token = await eventually(() => (b as TokenManager).getToken({ subject: SUBJECT, forceRefresh: true }))
		expect(token.accessToken).toMatch(/^ar-/)
		expect(server.revokedFamilies()).toEqual([])
	})

	it('costs one command timeout per Redis pause (SIGSTOP), not one per call', async () => {
		redis = await startRedisServer()
		server = await startTokenServer()
		// The manager's timeout (5 s) sets how long a failed store is left alone: longer than these calls take.
		const { managers: [a] = [], events } = await managers(1, redis.url, server, { timeout: 5_000, commandTimeout: 300 })
		await (a as TokenManager).getToken()
		redis.signal('SIGSTOP')
		try {
			for (let index = 0; index < 8; index++) await (a as TokenManager).getToken({ scope: `scope-${index}` })
		} finally {
			redis.signal('SIGCONT')
		}
		const storeErrors = events.filter((event): event is Extract<TokenWardenEvent, { type: 'store-error' }> => event.type === 'store-error')
		expect(storeErrors.map((event) => (event.error as RedisStoreError).reason)).toEqual(['timeout'])
		expect(storeErrors.map((event) => (event.error as RedisStoreError).outage)).toEqual([true])
	})

	it('records the scope asked for when a consent started in one process is completed in another', async () => {
		server = await startTokenServer()
		const { managers: [a, b] = [] } = await managers(2, inject('redisUrl'), server)
		const started = await (a as TokenManager).authorizationUrl({ redirectUri: 'https://app.example/callback', scope: ['saldo.read'], pkce: true })
		const token = await (b as TokenManager).exchangeCode({
			code: 'code-1',
			state: started.state,
			expectedState: started.state,
			codeVerifier: started.codeVerifier,
			subject: SUBJECT,
		})
		expect(token.scope).toEqual(['saldo.read'])
		// A third party of the fleet refreshing later asks for that scope, not the manager's default.
		await (a as TokenManager).getToken({ subject: SUBJECT, forceRefresh: true })
		const refresh = server.seen.findLast((request) => request.form.grant_type === 'refresh_token')
		expect(refresh?.form.scope ?? 'saldo.read').toBe('saldo.read')
		expect((await (a as TokenManager).getToken({ subject: SUBJECT })).scope).toEqual(['saldo.read'])
	})
})

describe('chaos (issue 12): 3 processes x 20 holders, Redis killed, restarted and paused for 20 s', () => {
	it('loses no consent, leaves no unhandled rejection, and holds no call longer than 2 x timeout + 1 s', { timeout: 60_000 }, async () => {
		const TIMEOUT = 1_000
		const SUBJECTS = Array.from({ length: 20 }, (_unused, index) => `holder-${index}`)
		redis = await startRedisServer({ persistent: true })
		server = await startTokenServer({ revokeFamilyOnReuse: true })
		fleet = await startFleet(3, {
			redisUrl: redis.url,
			tokenUrl: server.url,
			prefix: uniquePrefix(),
			timeout: TIMEOUT,
			refreshAhead: 200,
			expiryMargin: 100,
			commandTimeout: 300,
			retryLimit: 0,
		})
		const running = fleet
		for (const [index, subject] of SUBJECTS.entries()) expect((await running.exchange(index % 3, `code-${index}`, subject)).errors).toEqual([])

		const replies: WorkerReply[] = []
		let chaos = true
		const drivers = [0, 1, 2].map(async (worker) => {
			while (chaos) replies.push(await running.holders(worker, SUBJECTS, true))
		})
		const faults: string[] = []
		const until = Date.now() + 20_000
		for (let round = 0; Date.now() < until; round++) {
			await delay(2_000 + Math.floor(Math.random() * 1_000))
			if (round % 2 === 0) {
				faults.push('kill')
				await redis.stop('SIGKILL')
				await delay(300 + Math.floor(Math.random() * 700))
				await redis.start()
			} else {
				faults.push('pause')
				redis.signal('SIGSTOP')
				await delay(500 + Math.floor(Math.random() * 1_000))
				redis.signal('SIGCONT')
			}
		}
		chaos = false
		await within(Promise.all(drivers), 15_000, 'the drivers after the chaos')
		// Redis is up: give rotated sets kept in process a moment to reach it, then every holder is used once more.
		await delay(2_000)
		const final = await Promise.all([0, 1, 2].map((worker) => running.holders(worker, SUBJECTS, true)))

		expect(faults.length).toBeGreaterThanOrEqual(5)
		expect(replies.length).toBeGreaterThan(6)
		const during = replies.flatMap((reply) => reply.errors)
		expect(during.filter((name) => name !== 'StoreUnavailableError')).toEqual([])
		expect(server.revokedFamilies()).toEqual([])
		for (const index of SUBJECTS.keys()) expect(server.familyValid(`code-${index}`), `code-${index}`).toBe(true)
		expect(final.flatMap((reply) => reply.errors)).toEqual([])
		expect([...replies, ...final].flatMap((reply) => reply.events).filter((type) => type === 'consent-required')).toEqual([])
		expect(Math.max(...[...replies, ...final].map((reply) => reply.unhandled ?? 0))).toBe(0)
		expect(Math.max(...replies.map((reply) => reply.slowest))).toBeLessThan(2 * TIMEOUT + 1_000)
	})
})

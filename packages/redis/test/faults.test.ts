import { createTokenManager, StoreUnavailableError, type TokenManager, type TokenWardenEvent } from '@tokenwarden/core'
import { afterEach, describe, expect, inject, it } from 'vitest'
import { redisStore } from '../src/index.ts'
import { type Fleet, startFleet } from './fleet.ts'
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

for (const target of ['one Redis', 'a Redis Cluster'] as const) {
	describe(`a lock holder that dies mid-refresh (${target})`, () => {
		it('delays the others by its lease, then one of them takes over: one token, nobody hangs', async () => {
			server = await startTokenServer({ lifetime: 3600 })
			const timeout = 2_000
			// The manager waits up to timeout x (retries + 1) + maxDelay = 6.2 s for the lock; the lease is 2 s
			// (renewed every 0.67 s: a live holder keeps it through event-loop stalls of a busy machine).
			fleet = await startFleet(8, {
				redisUrl: inject('redisUrl'),
				cluster: target === 'a Redis Cluster' ? inject('clusterNodes') : undefined,
				tokenUrl: server.url,
				prefix: uniquePrefix(),
				timeout,
				lease: 2_000,
				refreshAhead: 200,
				expiryMargin: 100,
				commandTimeout: 1_000,
			})
			server.hold()
			const bursts = fleet.workers.map((_worker, index) => (fleet as Fleet).burst(20, { only: [index] }).then(([reply]) => reply))
			bursts.forEach((burst) => burst.catch(() => {}))
			// The lock holder's request reaches the token server, which keeps it waiting; the holder dies.
			const held = await within(server.nextHeld(), 10_000, 'the first token request')
			const holder = Number(held.worker)
			await fleet.kill(holder)
			server.answerHeld()

			const survivors = await within(Promise.all(bursts.filter((_burst, index) => index !== holder)), 15_000, 'the surviving callers')
			expect(survivors.flatMap((reply) => reply?.errors ?? ['missing'])).toEqual([])
			expect(new Set(survivors.flatMap((reply) => reply?.tokens))).toHaveLength(1)
			expect(survivors.map((reply) => reply?.fulfilled)).toEqual(survivors.map(() => 20))
			// The dead holder's request and the one that took over: no process went it alone.
			expect(server.count()).toBe(2)
			expect(server.seen[1]?.worker).not.toBe(String(holder))
			// Bounded by the manager's lock wait plus one request, far below: nobody hung.
			for (const reply of survivors) expect(reply?.slowest).toBeLessThan(3 * timeout + 200 + timeout)
		})
	})
}

describe('a lock holder whose refresh-token write failed', () => {
	it('keeps the lock until the write reaches Redis, so no other process reads the set it replaces', async () => {
		redis = await startRedisServer({ persistent: true })
		const prefix = uniquePrefix()
		const otherClient = await connect(redis.url)
		const holder = redisStore(await connect(redis.url), { prefix, commandTimeout: 200, lease: 1_000 })
		const other = redisStore(otherClient, { prefix, commandTimeout: 200, pollInterval: 20 })
		closeLater(holder)
		closeLater(other)
		const entry = (refreshToken: string) => ({ version: 1 as const, requestedAt: Date.now(), refreshToken })
		await holder.set('grant', entry('rt-1'), { ttl: 60_000 })
		const lock = await holder.lock('grant', { timeout: 1_000 })
		// Redis dies while the holder writes the rotated token: the write fails for its caller, nothing is queued.
		await redis.stop('SIGKILL')
		await expect(holder.set('grant', entry('rt-2'), { ttl: 60_000 })).rejects.toThrow()
		// Released by the manager; the store keeps it (renewing) until rt-2 is in Redis.
		await lock.release()
		await redis.start()
		await within(
			(async () => {
				while (!otherClient.isReady) await delay(10)
			})(),
			5_000,
			'reconnecting',
		)
		const next = await within(other.lock('grant', { timeout: 1_000 }), 10_000, 'the lock after the write landed')
		expect((await other.get('grant'))?.refreshToken).toBe('rt-2')
		await next.release()
	})
})

describe('Redis stopped mid-run and started again', () => {
	it('never holds a caller past its timeout, loses no rotated refresh token, and returns to Redis', async () => {
		redis = await startRedisServer({ persistent: true })
		server = await startTokenServer({ lifetime: 3600 })
		const prefix = uniquePrefix()
		const timeout = 1_000
		const events: TokenWardenEvent[] = []
		const clients = await Promise.all([connect(redis.url), connect(redis.url)])
		const stores = clients.map((client) => redisStore(client, { prefix, commandTimeout: 300 }))
		stores.forEach(closeLater)
		const [a, b] = stores.map((store) =>
			createTokenManager({
				tokenUrl: (server as TokenServer).url,
				clientId: 'client-1',
				clientSecret: 'client-secret-value',
				redirectUri: 'https://app.example/callback',
				timeout,
				retry: { limit: 1, delay: 50, maxDelay: 100 },
				store,
				onEvent: (event) => events.push(event),
			}),
		) as [TokenManager, TokenManager]
		const subject = 'account-42'

		// Redis up: shared.
		const shared = await Promise.all([a.getToken(), b.getToken()])
		expect(shared[0].accessToken).toBe(shared[1].accessToken)
		await a.exchangeCode({ code: 'code-1', state: 's', expectedState: 's', subject })
		expect(server.count()).toBe(2)

		// Redis down: every client-credentials call still answers, from the token endpoint, within its timeout;
		// the holder's call says the store is unavailable (its refresh token may have been rotated by another
		// process: spending a stale one could lose the consent), never that consent is required.
		await redis.stop('SIGKILL')
		const started = performance.now()
		const during = await within(
			Promise.all([...Array.from({ length: 10 }, () => a.getToken({ forceRefresh: true })), ...Array.from({ length: 10 }, () => b.getToken({ forceRefresh: true }))]),
			4 * timeout,
			'getToken while Redis is down',
		)
		const holderDuring = await within(
			a.getToken({ subject, forceRefresh: true }).catch((error: unknown) => error),
			4 * timeout,
			'the holder while Redis is down',
		)
		expect(performance.now() - started).toBeLessThan(2 * timeout)
		expect(new Set(during.map((token) => token.accessToken)).size).toBe(2)
		expect(holderDuring).toBeInstanceOf(StoreUnavailableError)
		expect(events.some((event) => event.type === 'store-error')).toBe(true)

		// Redis back (with its data): the holder is served again from the refresh token in Redis.
		await redis.start()
		await within(
			(async () => {
				while (!clients.every((client) => client.isReady)) await delay(20)
			})(),
			5_000,
			'clients reconnecting',
		)
		// A manager leaves a store that failed alone for a moment (about its timeout) before trying it again.
		await delay(timeout + 100)
		const stale = await b.getToken({ subject })
		const holderToken = await b.getToken({ subject, forceRefresh: true })
		expect(holderToken.accessToken).not.toBe(stale.accessToken)
		expect(holderToken.accessToken).toMatch(/^ar-/)
		expect(server.invalidGrants()).toBe(0)
		expect(events.filter((event) => event.type === 'consent-required')).toEqual([])
		const errorsBefore = events.filter((event) => event.type === 'store-error').length

		// And the fleet lock is back: a new key costs one request between them.
		const requestsBefore = server.count()
		const after = await Promise.all([a.getToken({ scope: 'after' }), b.getToken({ scope: 'after' })])
		expect(after[0].accessToken).toBe(after[1].accessToken)
		expect(server.count()).toBe(requestsBefore + 1)
		expect(events.filter((event) => event.type === 'store-error')).toHaveLength(errorsBefore)

		// Store errors name what failed, never a token or the client secret.
		const reported = JSON.stringify(events.map((event) => ('error' in event ? { ...event, error: event.error.message } : event)))
		for (const request of server.seen) {
			for (const secret of [request.form.refresh_token, request.form.code].filter(Boolean)) expect(reported).not.toContain(secret)
		}
		expect(reported).not.toContain('client-secret-value')
		expect(reported).not.toMatch(/"(cc|ac|ar|rt)-\d+"/)
	})
})

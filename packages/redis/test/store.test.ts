import { AbortError } from '@tokenwarden/core'
import { describe, expect, it } from 'vitest'
import { redisStore, RedisStoreError } from '../src/index.ts'
import { closeLater, connect, delay, entry, uniquePrefix, within } from './helpers.ts'
import { startRedisServer } from './redis-server.ts'

async function setup(options: Parameters<typeof redisStore>[1] = {}) {
	const client = await connect()
	const prefix = uniquePrefix()
	const store = redisStore(client, { prefix, ...options })
	closeLater(store)
	return { client, store, prefix }
}

describe('entries', () => {
	it('round-trips an entry as versioned JSON under the prefix', async () => {
		const { client, store, prefix } = await setup()
		const value = entry({ accessToken: 'at-1', scope: ['a', 'b'] })
		expect(await store.get('k')).toBeUndefined()
		await store.set('k', value, { ttl: 60_000 })
		expect(await store.get('k')).toEqual(value)
		const raw = JSON.parse((await client.get(`${prefix}k`)) as string)
		expect(raw).toEqual({ v: 1, requestedAt: value.requestedAt, entry: value })
	})

	it('keeps stores with different prefixes apart', async () => {
		const client = await connect()
		const one = redisStore(client, { prefix: uniquePrefix() })
		const two = redisStore(client, { prefix: uniquePrefix() })
		await one.set('k', entry({ accessToken: 'one' }), { ttl: 60_000 })
		expect(await two.get('k')).toBeUndefined()
		expect((await one.get('k'))?.accessToken).toBe('one')
	})

	it('uses the prefix tw: by default', async () => {
		const client = await connect()
		const key = `default-prefix-${uniquePrefix()}`
		const store = redisStore(client)
		await store.set(key, entry({ accessToken: 'x' }), { ttl: 10_000 })
		expect(await client.exists(`tw:${key}`)).toBe(1)
		await store.delete(key)
		expect(await client.exists(`tw:${key}`)).toBe(0)
	})

	it('expires access-token entries with the token and refresh-token entries with the refresh token (the ttl the manager passes)', async () => {
		const { client, store, prefix } = await setup()
		await store.set('access', entry({ accessToken: 'at' }), { ttl: 4_000 })
		await store.set('grant', entry({ refreshToken: 'rt' }), { ttl: 90 * 24 * 3600 * 1000 })
		const access = await client.pTTL(`${prefix}access`)
		const grant = await client.pTTL(`${prefix}grant`)
		expect(access).toBeGreaterThan(3_000)
		expect(access).toBeLessThanOrEqual(4_000)
		expect(grant).toBeGreaterThan(89 * 24 * 3600 * 1000)
		await store.set('short', entry({ accessToken: 'at' }), { ttl: 50 })
		await delay(120)
		expect(await store.get('short')).toBeUndefined()
	})

	it('never replaces an entry whose requestedAt is newer (late results lose)', async () => {
		const { store } = await setup()
		await store.set('k', entry({ accessToken: 'newer', requestedAt: 2_000 }), { ttl: 60_000 })
		await store.set('k', entry({ accessToken: 'late', requestedAt: 1_000 }), { ttl: 60_000 })
		expect((await store.get('k'))?.accessToken).toBe('newer')
		await store.set('k', entry({ accessToken: 'same-time', requestedAt: 2_000 }), { ttl: 60_000 })
		expect((await store.get('k'))?.accessToken).toBe('same-time')
		await store.set('k', entry({ accessToken: 'newest', requestedAt: 3_000 }), { ttl: 60_000 })
		expect((await store.get('k'))?.accessToken).toBe('newest')
	})

	it('lets the holder of the lock write what it requested under the lock, even when another host clock made the stored entry look newer', async () => {
		const { store } = await setup()
		// Written by a host whose clock runs a minute ahead.
		await store.set('k', entry({ accessToken: 'skewed-clock', requestedAt: Date.now() + 60_000 }), { ttl: 60_000 })
		const lock = await store.lock('k', { timeout: 1_000 })
		await store.set('k', entry({ accessToken: 'holder', requestedAt: Date.now() }), { ttl: 60_000 })
		expect((await store.get('k'))?.accessToken).toBe('holder')
		await lock.release()
		await store.set('k', entry({ accessToken: 'late', requestedAt: Date.now() - 1_000 }), { ttl: 60_000 })
		expect((await store.get('k'))?.accessToken).toBe('holder')
	})

	it('never lets the lock holder write a set it requested before taking the lock over a newer one (issue 12)', async () => {
		const { store } = await setup()
		// Rotated while Redis was unreachable, kept in process, unsaved.
		const unsaved = entry({ refreshToken: 'rt-2', requestedAt: Date.now() - 5_000 })
		// Meanwhile another process rotated again, normally.
		await store.set('grant', entry({ refreshToken: 'rt-3', requestedAt: Date.now() - 1_000 }), { ttl: 60_000 })
		const lock = await store.lock('grant', { timeout: 1_000 })
		await store.set('grant', unsaved, { ttl: 60_000 })
		expect((await store.get('grant'))?.refreshToken).toBe('rt-3')
		await lock.release()
	})

	it('compares and deletes atomically', async () => {
		const { store } = await setup()
		expect(await store.compareAndDelete('k', 'at-1')).toBe(false)
		await store.set('k', entry({ accessToken: 'at-1' }), { ttl: 60_000 })
		expect(await store.compareAndDelete('k', 'at-0')).toBe(false)
		expect(await store.get('k')).toBeDefined()
		const results = await Promise.all([store.compareAndDelete('k', 'at-1'), store.compareAndDelete('k', 'at-1')])
		expect(results.sort()).toEqual([false, true])
		expect(await store.get('k')).toBeUndefined()
	})

	it('refuses an entry it cannot read without quoting it', async () => {
		const { client, store, prefix } = await setup()
		await client.set(`${prefix}broken`, 'not json at-secret-token')
		await client.set(`${prefix}future`, JSON.stringify({ v: 2, requestedAt: 1, entry: { accessToken: 'at-secret-token' } }))
		await client.set(`${prefix}shape`, JSON.stringify({ v: 1, requestedAt: 1, entry: { version: 1, requestedAt: 1, accessToken: 42 } }))
		for (const key of ['broken', 'future', 'shape']) {
			const error = await store.get(key).catch((caught: unknown) => caught)
			expect(error).toBeInstanceOf(RedisStoreError)
			expect((error as RedisStoreError).reason).toBe('unreadable')
			expect((error as RedisStoreError).outage).toBe(false)
			expect((error as RedisStoreError).storeFailure).toBe('refused')
			expect(JSON.stringify((error as RedisStoreError).toJSON())).not.toContain('at-secret-token')
			expect(String((error as Error).stack)).not.toContain('at-secret-token')
			expect((error as Error).cause).toBeUndefined()
		}
		expect((await store.get('future').catch((error: Error) => error.message)) as string).toMatch(/newer release/)
	})
})

describe('fleet lock', () => {
	it('takes the lock with SET NX and a lease of twice the timeout, and releases it', async () => {
		const { client, store, prefix } = await setup()
		const lock = await store.lock('k', { timeout: 1_500 })
		const owner = await client.get(`${prefix}lock:k`)
		expect(owner).toMatch(/^[\w-]{20,}$/)
		const ttl = await client.pTTL(`${prefix}lock:k`)
		expect(ttl).toBeGreaterThan(2_000)
		expect(ttl).toBeLessThanOrEqual(3_000)
		await lock.release()
		expect(await client.exists(`${prefix}lock:k`)).toBe(0)
		await lock.release()
	})

	it('releases only its own lock: a holder whose lease lapsed leaves the next holder alone', async () => {
		const { client, store, prefix } = await setup({ lease: 5_000 })
		const first = await store.lock('k', { timeout: 1_000 })
		// The first holder stalls: its renewals stop reaching Redis, the lease lapses.
		await client.pExpire(`${prefix}lock:k`, 1)
		await delay(20)
		const second = await store.lock('k', { timeout: 1_000 })
		const secondOwner = await client.get(`${prefix}lock:k`)
		await first.release()
		expect(await client.get(`${prefix}lock:k`)).toBe(secondOwner)
		await second.release()
		expect(await client.exists(`${prefix}lock:k`)).toBe(0)
	})

	it('renews the lease while the holder works', async () => {
		// Renewed every 200 ms: the lease survives event-loop stalls of up to 400 ms on a busy machine.
		const { client, store, prefix } = await setup({ lease: 600 })
		const lock = await store.lock('k', { timeout: 1_000 })
		const owner = await client.get(`${prefix}lock:k`)
		await delay(1_500)
		expect(await client.get(`${prefix}lock:k`)).toBe(owner)
		expect(await client.pTTL(`${prefix}lock:k`)).toBeGreaterThan(0)
		await lock.release()
	})

	it('tells the logger when the lease was lost while held, and stops renewing it', async () => {
		const warnings: string[] = []
		const logger = { debug() {}, info() {}, error() {}, warn: (message: string) => warnings.push(message) }
		const { client, store, prefix } = await setup({ lease: 300, logger })
		const lock = await store.lock('k', { timeout: 1_000 })
		await client.del(`${prefix}lock:k`)
		await delay(400)
		expect(warnings.some((message) => message.includes('lapsed'))).toBe(true)
		expect(await client.exists(`${prefix}lock:k`)).toBe(0)
		await lock.release()
	})

	it('lets a waiter take over when the holder died (its lease runs out)', async () => {
		const { client, store, prefix } = await setup({ pollInterval: 60_000 })
		// A holder in a process that died: nobody renews or releases.
		await client.set(`${prefix}lock:k`, 'dead-owner', { PX: 300 })
		const lock = await within(store.lock('k', { timeout: 1_000 }), 5_000, 'lock after the lease lapsed')
		expect(await client.get(`${prefix}lock:k`)).not.toBe('dead-owner')
		await lock.release()
	})

	it('wakes a waiter in another process as soon as the holder releases (pub/sub), not at the next poll', async () => {
		const { store: holderStore, prefix } = await setup()
		const waiterStore = redisStore(await connect(), { prefix, pollInterval: 60_000 })
		closeLater(waiterStore)
		const held = await holderStore.lock('k', { timeout: 10_000 })
		let acquired = false
		const waiting = waiterStore.lock('k', { timeout: 10_000 }).then((lock) => {
			acquired = true
			return lock
		})
		await delay(100)
		expect(acquired).toBe(false)
		await held.release()
		// With a 60 s poll and a 20 s lease, only the release message can wake it in time.
		const lock = await within(waiting, 5_000, 'waiter after release')
		await lock.release()
	})

	it('polls when notifications are off', async () => {
		const { store: holderStore, prefix } = await setup()
		const waiterStore = redisStore(await connect(), { prefix, notifications: false, pollInterval: 20 })
		const held = await holderStore.lock('k', { timeout: 10_000 })
		const waiting = waiterStore.lock('k', { timeout: 10_000 })
		await delay(50)
		await held.release()
		const lock = await within(waiting, 5_000, 'polling waiter')
		await lock.release()
	})

	it('serialises many waiters: each gets the lock in turn', async () => {
		const { store, prefix } = await setup()
		const others = await Promise.all([1, 2, 3].map(async () => redisStore(await connect(), { prefix })))
		others.forEach(closeLater)
		let inside = 0
		let most = 0
		await Promise.all(
			[store, ...others, store, ...others].map(async (each) => {
				const lock = await each.lock('k', { timeout: 5_000 })
				inside++
				most = Math.max(most, inside)
				await delay(5)
				inside--
				await lock.release()
			}),
		)
		expect(most).toBe(1)
	})

	it('stops waiting when the signal aborts, and leaves the holder its lock', async () => {
		const { client, store, prefix } = await setup()
		const held = await store.lock('k', { timeout: 10_000 })
		const owner = await client.get(`${prefix}lock:k`)
		const controller = new AbortController()
		const waiting = store.lock('k', { timeout: 10_000, signal: controller.signal })
		await delay(50)
		controller.abort()
		await expect(waiting).rejects.toBeInstanceOf(AbortError)
		expect(await client.get(`${prefix}lock:k`)).toBe(owner)
		await held.release()
		await expect(store.lock('k', { timeout: 1_000, signal: AbortSignal.abort() })).rejects.toBeInstanceOf(AbortError)
	})

	it('opens one pub/sub connection with duplicate() and closes it on close()', async () => {
		const { client, store, prefix } = await setup()
		const channel = `${prefix}lock-released`
		const held = await store.lock('k', { timeout: 10_000 })
		const waiting = store.lock('k', { timeout: 10_000 })
		await delay(100)
		expect(await client.pubSubNumSub(channel)).toEqual({ [channel]: 1 })
		await held.release()
		await (await waiting).release()
		await store.close()
		await delay(50)
		expect(await client.pubSubNumSub(channel)).toEqual({ [channel]: 0 })
		expect(client.isReady).toBe(true)
	})
})

describe('Redis slow or unavailable', () => {
	it('bounds every operation by commandTimeout and recovers when Redis answers again', async () => {
		// A Redis of its own: CLIENT PAUSE would stall the other test files sharing the common one.
		const server = await startRedisServer()
		closeLater({ close: () => server.dispose() })
		const store = redisStore(await connect(server.url), { prefix: uniquePrefix(), commandTimeout: 100 })
		closeLater(store)
		const admin = await connect(server.url)
		await store.set('k', entry({ accessToken: 'at' }), { ttl: 60_000 })
		await admin.sendCommand(['CLIENT', 'PAUSE', '1000', 'ALL'])
		const operations = [
			store.get('k'),
			store.set('k', entry({ accessToken: 'at-2' }), { ttl: 60_000 }),
			store.compareAndDelete('k', 'at'),
			store.delete('other'),
			store.lock('k', { timeout: 1_000 }),
		]
		const results = await within(Promise.allSettled(operations), 800, 'operations against a paused Redis')
		for (const result of results) {
			expect(result.status).toBe('rejected')
			const error = (result as PromiseRejectedResult).reason as RedisStoreError
			expect(error).toBeInstanceOf(RedisStoreError)
			expect(error.reason).toBe('timeout')
			expect(error.outage).toBe(true)
			expect(error.storeFailure).toBe('outage')
		}
		await delay(1_100)
		expect(await store.get('k')).toBeDefined()
		// The lock attempt that timed out reached Redis late; the release queued behind it undid it.
		const lock = await within(store.lock('k', { timeout: 1_000 }), 2_000, 'lock after the pause')
		await lock.release()
	})

	it('fails at once, without queueing, while the client reconnects', async () => {
		const client = await connect()
		const store = redisStore(client, { prefix: uniquePrefix(), commandTimeout: 5_000 })
		const clientId = await client.clientId()
		const admin = await connect()
		const reconnecting = new Promise((resolve) => client.once('reconnecting', resolve))
		await admin.clientKill({ filter: 'ID', id: clientId } as never)
		await reconnecting
		const error = await within(
			store.get('k').catch((caught: unknown) => caught),
			1_000,
		)
		expect((error as RedisStoreError).reason).toBe('offline')
		expect((error as RedisStoreError).outage).toBe(true)
		await within(new Promise((resolve) => client.once('ready', resolve)), 5_000, 'reconnect')
		expect(await store.get('k')).toBeUndefined()
	})
})

describe('outages and refusals', () => {
	it('marks an error reply as refused, and a reply that says the server is busy as an outage', async () => {
		// A Redis of its own: a long script would stall the other test files sharing the common one.
		const server = await startRedisServer()
		closeLater({ close: () => server.dispose() })
		const client = await connect(server.url)
		const prefix = uniquePrefix()
		const store = redisStore(client, { prefix, commandTimeout: 2_000 })
		closeLater(store)
		// A key of the wrong type: Redis answers WRONGTYPE, which trying again will not change.
		await client.hSet(`${prefix}wrong`, 'field', 'value')
		const refused = (await store.get('wrong').catch((caught: unknown) => caught)) as RedisStoreError
		expect(refused).toBeInstanceOf(RedisStoreError)
		expect(refused.reason).toBe('command')
		expect(refused.outage).toBe(false)
		expect(refused.storeFailure).toBe('refused')
		// A script still running: Redis answers BUSY to everyone else until it ends.
		await client.configSet('busy-reply-threshold', '10')
		const busy = await connect(server.url)
		const spin = 'local t = redis.call("TIME") while true do local n = redis.call("TIME") if (n[1] - t[1]) * 1000000 + (n[2] - t[2]) > 500000 then break end end return 1'
		const running = busy.sendCommand(['EVAL', spin, '0'])
		await delay(100)
		const outage = (await store.get('k').catch((caught: unknown) => caught)) as RedisStoreError
		await running
		expect(outage).toBeInstanceOf(RedisStoreError)
		expect(outage.message).toMatch(/BUSY/)
		expect(outage.outage).toBe(true)
		expect(outage.storeFailure).toBe('outage')
	})
})

describe('options', () => {
	it('rejects bad options with a TypeError at the boundary', async () => {
		const client = await connect()
		const bad: Array<[unknown, unknown, RegExp]> = [
			[{}, undefined, /node-redis .* or ioredis .*client/],
			[client, { replicaAcks: 1.5 }, /replicaAcks/],
			[client, { prefix: 1 }, /prefix must be a string/],
			[client, { commandTimeout: 0 }, /commandTimeout/],
			[client, { lease: -1 }, /lease/],
			[client, { pollInterval: Number.NaN }, /pollInterval/],
			[client, { notifications: 'yes' }, /notifications/],
			[client, { logger: { warn() {} } }, /logger.debug/],
			[client, { encryption: { keys: {}, current: 'a' } }, /encryption.keys/],
			[client, { encryption: { keys: { a: Buffer.alloc(16) }, current: 'a' } }, /encryption.keys\["a"\] must be 32 bytes/],
			[client, { encryption: { keys: { a: Buffer.alloc(32) }, current: 'b' } }, /encryption.current/],
		]
		for (const [candidate, options, message] of bad) {
			expect(() => redisStore(candidate as never, options as never)).toThrow(TypeError)
			expect(() => redisStore(candidate as never, options as never)).toThrow(message)
			expect(() => redisStore(candidate as never, options as never)).toThrow(/^tokenwarden: /)
		}
		const store = redisStore(client)
		await expect(store.set('k', entry(), { ttl: 0 })).rejects.toThrow(TypeError)
		await expect(store.lock('k', { timeout: Number.NaN })).rejects.toThrow(TypeError)
	})
})

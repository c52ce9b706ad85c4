import { Redis } from 'ioredis'
import { describe, expect, inject, it } from 'vitest'
import { redisStore, RedisStoreError } from '../src/index.ts'
import { closeLater, connect, delay, entry, uniquePrefix, within } from './helpers.ts'

async function ioredis(): Promise<Redis> {
	const client = new Redis(inject('redisUrl'), { retryStrategy: () => 50, maxRetriesPerRequest: null })
	client.on('error', () => {})
	await new Promise<void>((resolve, reject) => {
		client.once('ready', resolve)
		client.once('error', reject)
	})
	closeLater({ close: async () => client.disconnect() })
	return client
}

describe('ioredis client', () => {
	it('stores, compares and deletes, and orders writes like node-redis', async () => {
		const client = await ioredis()
		const prefix = uniquePrefix()
		const store = redisStore(client, { prefix })
		closeLater(store)
		await store.set('k', entry({ accessToken: 'at-2', requestedAt: 2 }), { ttl: 60_000 })
		await store.set('k', entry({ accessToken: 'at-1', requestedAt: 1 }), { ttl: 60_000 })
		expect((await store.get('k'))?.accessToken).toBe('at-2')
		expect(Number(await client.pttl(`${prefix}k`))).toBeGreaterThan(50_000)
		expect(await store.compareAndDelete('k', 'at-1')).toBe(false)
		expect(await store.compareAndDelete('k', 'at-2')).toBe(true)
		expect(await store.get('k')).toBeUndefined()
	})

	it('shares entries and the lock with node-redis stores, and wakes waiters by pub/sub', async () => {
		const prefix = uniquePrefix()
		const viaIoredis = redisStore(await ioredis(), { prefix, pollInterval: 60_000 })
		const viaNodeRedis = redisStore(await connect(), { prefix, pollInterval: 60_000 })
		closeLater(viaIoredis)
		closeLater(viaNodeRedis)
		await viaNodeRedis.set('k', entry({ accessToken: 'shared' }), { ttl: 60_000 })
		expect((await viaIoredis.get('k'))?.accessToken).toBe('shared')

		const held = await viaNodeRedis.lock('k', { timeout: 10_000 })
		const waiting = viaIoredis.lock('k', { timeout: 10_000 })
		await delay(100)
		await held.release()
		const lock = await within(waiting, 5_000, 'ioredis waiter after release')
		const back = viaNodeRedis.lock('k', { timeout: 10_000 })
		await delay(100)
		await lock.release()
		await (await within(back, 5_000, 'node-redis waiter after release')).release()
	})

	it('fails at once while ioredis reconnects instead of sitting in its offline queue', async () => {
		const client = await ioredis()
		const store = redisStore(client, { prefix: uniquePrefix(), commandTimeout: 5_000 })
		const id = await client.client('ID')
		const admin = await connect()
		const reconnecting = new Promise((resolve) => client.once('reconnecting', resolve))
		await admin.sendCommand(['CLIENT', 'KILL', 'ID', String(id)])
		await reconnecting
		const error = await within(
			store.get('k').catch((caught: unknown) => caught),
			1_000,
		)
		expect(error).toBeInstanceOf(RedisStoreError)
		expect((error as RedisStoreError).reason).toBe('offline')
		await within(new Promise((resolve) => client.once('ready', resolve)), 5_000, 'reconnect')
		expect(await store.get('k')).toBeUndefined()
	})
})

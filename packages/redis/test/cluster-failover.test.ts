import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { redisStore, RedisStoreError } from '../src/index.ts'
import { closeLater, connectCluster, delay, entry, uniquePrefix, within } from './helpers.ts'
import { type RedisCluster, startRedisCluster } from './redis-cluster.ts'

/** A holder's grant key as core builds it. */
const grantKey = (subject: string) => `tokenwarden:v1:grant:${encodeURIComponent('https://auth.example/token')}:client-1:${subject}`

// A cluster of its own: these tests stop and kill nodes.
let cluster: RedisCluster
beforeAll(async () => {
	cluster = await startRedisCluster()
}, 60_000)
afterAll(async () => {
	await cluster?.dispose()
})

/** The node serving `name`'s slot as master, and its replica. */
async function shardOf(name: string) {
	const slot = Number((await cluster.cli(cluster.nodes[0]?.port as number, 'CLUSTER', 'KEYSLOT', name)).trim())
	const topology = await cluster.topology()
	const master = topology.find((node) => node.master && !node.failed && node.slots.some((range) => inRange(range, slot)))
	if (!master) throw new Error(`no master serves slot ${slot}`)
	const replica = topology.find((node) => node.masterId === master.id && !node.failed)
	return { master, replica }
}

function inRange(range: string, slot: number): boolean {
	const [from, to = from] = range.split('-').map(Number)
	return from !== undefined && slot >= from && slot <= (to as number)
}

describe('Redis Cluster: a refresh-token write is acknowledged only once a replica has it', () => {
	it('fails as an outage (not-replicated) while the replica cannot acknowledge, and succeeds once it can', async () => {
		const prefix = uniquePrefix()
		const store = redisStore(await connectCluster(cluster.nodes), { prefix, commandTimeout: 400 })
		closeLater(store)
		const key = grantKey('account-stalled-replica')
		await store.set(key, entry({ refreshToken: 'rt-1' }), { ttl: 60_000 })
		// The replica of the key's own shard, stopped (SIGSTOP): its master still takes writes.
		const { replica: stalled } = await shardOf((await keyName(prefix)) as string)
		expect(stalled).toBeDefined()
		const pid = cluster.pid(stalled?.port as number)
		process.kill(pid, 'SIGSTOP')
		try {
			const error = await store.set(key, entry({ refreshToken: 'rt-2' }), { ttl: 60_000 }).catch((caught: unknown) => caught)
			expect(error).toBeInstanceOf(RedisStoreError)
			expect((error as RedisStoreError).reason).toBe('not-replicated')
			expect((error as RedisStoreError).outage).toBe(true)
			// An access-token entry does not wait for replicas.
			await store.set('cc-key', entry({ accessToken: 'at' }), { ttl: 60_000 })
		} finally {
			process.kill(pid, 'SIGCONT')
		}
		await store.set(key, entry({ refreshToken: 'rt-3' }), { ttl: 60_000 })
		expect((await store.get(key))?.refreshToken).toBe('rt-3')

		async function keyName(prefixOfKeys: string): Promise<string | undefined> {
			for (const node of cluster.nodes) {
				const names = (await cluster.cli(node.port, 'KEYS', `${prefixOfKeys}*grant*`)).trim()
				if (names) return names.split('\n')[0]
			}
			return undefined
		}
	})

	it('loses no acknowledged refresh token when a master is killed and its replica promoted', async () => {
		const prefix = uniquePrefix()
		const store = redisStore(await connectCluster(cluster.nodes), { prefix, commandTimeout: 500 })
		closeLater(store)
		const keys = Array.from({ length: 24 }, (_unused, index) => grantKey(`account-${index}`))
		const acknowledged = new Map<string, number>()
		const failures = { count: 0 }
		let running = true
		const writers = keys.map(async (key) => {
			for (let sequence = 1; running; sequence++) {
				try {
					await store.set(key, entry({ refreshToken: `rt-${sequence}`, requestedAt: Date.now() }), { ttl: 600_000 })
					acknowledged.set(key, sequence)
				} catch {
					failures.count++
					await delay(50)
				}
			}
		})
		await delay(500)
		expect(acknowledged.size).toBe(keys.length)

		// Kill the master that serves the most of these keys, mid-stream.
		const victim = await mostLoadedMaster(prefix)
		await cluster.stop(victim.port, 'SIGKILL')
		await within(promoted(victim.id), 20_000, 'the replica promoted')
		await cluster.waitHealthy()
		// The old master comes back (with its AOF) and rejoins as the new master's replica.
		await cluster.start(victim.port)
		await cluster.waitHealthy()
		const before = new Map(acknowledged)
		await within(
			(async () => {
				while (keys.some((key) => (acknowledged.get(key) ?? 0) <= (before.get(key) ?? 0))) await delay(50)
			})(),
			10_000,
			'writes acknowledged again on every shard',
		)
		running = false
		await Promise.all(writers)
		expect(failures.count).toBeGreaterThan(0)

		for (const key of keys) {
			const stored = await store.get(key)
			const sequence = Number(stored?.refreshToken?.slice('rt-'.length))
			expect(sequence, key).toBeGreaterThanOrEqual(acknowledged.get(key) as number)
		}
	})
})

async function mostLoadedMaster(prefix: string) {
	const topology = await cluster.topology()
	let best: { id: string; port: number; count: number } | undefined
	for (const node of topology.filter((each) => each.master && !each.failed)) {
		const count = (await cluster.cli(node.port, 'KEYS', `${prefix}*`)).trim().split('\n').filter(Boolean).length
		if (!best || count > best.count) best = { id: node.id, port: node.port, count }
	}
	return best as { id: string; port: number }
}

async function promoted(deadId: string): Promise<void> {
	for (;;) {
		const topology = await cluster.topology().catch(() => [])
		const dead = topology.find((node) => node.id === deadId)
		if (dead?.failed && !topology.some((node) => node.id === deadId && node.slots.length > 0)) return
		await delay(100)
	}
}

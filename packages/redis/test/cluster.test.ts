import { describe, expect, it } from 'vitest'
import { redisStore, type RedisTokenStore } from '../src/index.ts'
import { closeLater, connectCluster, connectIoredisCluster, delay, entry, uniquePrefix, within } from './helpers.ts'

/** The manager's key of an account holder's grant and of one of their access tokens (as core builds them). */
const grantKey = (subject: string) => `tokenwarden:v1:grant:${encodeURIComponent('https://auth.example/token')}:client-1:${subject}`
const holderTokenKey = (subject: string, scope: string) => `tokenwarden:v1:${['https://auth.example/token', 'client-1', scope, `s:${subject}`].map(encodeURIComponent).join(':')}`

const clients = {
	'node-redis createCluster': async () => (await connectCluster()) as never,
	'ioredis Cluster': async () => (await connectIoredisCluster()) as never,
}

for (const [name, connect] of Object.entries(clients)) {
	describe(`Redis Cluster (${name})`, () => {
		async function setup(options: Parameters<typeof redisStore>[1] = {}): Promise<{ store: RedisTokenStore; prefix: string }> {
			const prefix = uniquePrefix()
			const store = redisStore(await connect(), { prefix, ...options })
			closeLater(store)
			return { store, prefix }
		}

		it("keeps a key's entry and lock, and a holder's grant and access tokens, in one slot; different keys spread over every master", async () => {
			const admin = await connectCluster()
			const { store, prefix } = await setup()
			const slotOf = async (name: string) => Number(await admin.sendCommand(name, true, ['CLUSTER', 'KEYSLOT', name]))
			const keyNames = async (pattern: string) => {
				const names: string[] = []
				for (const master of admin.masters) {
					const client = await admin.nodeClient(master)
					names.push(...(await client.keys(pattern)))
				}
				return names
			}
			const subject = 'account-42'
			const lock = await store.lock(grantKey(subject), { timeout: 5_000 })
			await store.set(grantKey(subject), entry({ refreshToken: 'rt-1' }), { ttl: 60_000 })
			await store.set(holderTokenKey(subject, 'read'), entry({ accessToken: 'at-read' }), { ttl: 60_000 })
			await store.set(holderTokenKey(subject, 'write'), entry({ accessToken: 'at-write' }), { ttl: 60_000 })
			const holderNames = await keyNames(`${prefix}*`)
			expect(holderNames).toHaveLength(4)
			expect(new Set(await Promise.all(holderNames.map(slotOf))).size).toBe(1)
			await lock.release()

			// Forty client-credentials keys land on all three masters.
			await Promise.all(Array.from({ length: 40 }, (_unused, index) => store.set(`scope-${index}`, entry({ accessToken: `at-${index}` }), { ttl: 60_000 })))
			const perMaster = await Promise.all(admin.masters.map(async (master) => (await (await admin.nodeClient(master)).keys(`${prefix}*scope-*`)).length))
			expect(perMaster.every((count) => count > 0)).toBe(true)
			expect(perMaster.reduce((sum, count) => sum + count, 0)).toBe(40)
			for (let index = 0; index < 40; index++) expect((await store.get(`scope-${index}`))?.accessToken).toBe(`at-${index}`)
		})

		it('orders writes, compares and deletes across slots like a standalone Redis', async () => {
			const { store } = await setup()
			for (const key of ['a', 'b', 'c', grantKey('x')]) {
				await store.set(key, entry({ accessToken: 'newer', refreshToken: 'rt-2', requestedAt: 2_000 }), { ttl: 60_000 })
				await store.set(key, entry({ accessToken: 'late', refreshToken: 'rt-1', requestedAt: 1_000 }), { ttl: 60_000 })
				expect((await store.get(key))?.refreshToken).toBe('rt-2')
				expect(await store.compareAndDelete(key, 'late')).toBe(false)
				expect(await store.compareAndDelete(key, 'newer')).toBe(true)
				expect(await store.get(key)).toBeUndefined()
				await store.set(key, entry({ accessToken: 'again' }), { ttl: 60_000 })
				await store.delete(key)
				expect(await store.get(key)).toBeUndefined()
			}
		})

		it('wakes a waiter in another process by sharded pub/sub as soon as the holder releases', async () => {
			const { store: holder, prefix } = await setup()
			const waiter = redisStore(await connect(), { prefix, pollInterval: 60_000 })
			closeLater(waiter)
			for (const key of ['k1', grantKey('account-7')]) {
				const held = await holder.lock(key, { timeout: 10_000 })
				let acquired = false
				const waiting = waiter.lock(key, { timeout: 10_000 }).then((lock) => {
					acquired = true
					return lock
				})
				await delay(150)
				expect(acquired).toBe(false)
				await held.release()
				// A 60 s poll and a 20 s lease: only the release message can wake it in time.
				await (await within(waiting, 5_000, 'waiter after release')).release()
			}
		})

		it('refuses a prefix with a brace (it would change the hash tag)', async () => {
			expect(() => redisStore((async () => {}) as never)).toThrow(TypeError)
			const client = await connect()
			expect(() => redisStore(client, { prefix: 'tw:{app}:' })).toThrow(/prefix must not contain \{ or \}/)
		})
	})
}

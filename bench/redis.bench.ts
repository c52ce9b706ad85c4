// @tokenwarden/redis benchmarks, on a redis-server of their own (started on a free port, stopped at the end):
// 1. getToken() on a cached token with the Redis store (the manager answers from its local copy),
// 2. the store's own round trips: get (clear and encrypted), set, uncontended lock + release,
// 3. lock hand-over latency between processes: pub/sub wake-up versus polling,
// 4. token requests made by a fleet of 8 processes x 250 concurrent callers, over 3 token lifetimes.
// Run: `pnpm build && pnpm exec node bench/redis.bench.ts`.
import { fork } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { Bench } from 'tinybench'
import { createClient } from 'redis'
import { createTokenManager } from '@tokenwarden/core'
import { redisStore, type RedisStoreOptions } from '@tokenwarden/redis'
import { startRedisServer } from '../packages/redis/test/redis-server.ts'
import { startTokenServer } from '../packages/redis/test/token-server.ts'

const FLEET = 8
const CALLERS = 250
const LIFETIME_S = 2

if (process.argv[2] === 'worker') await worker(JSON.parse(process.argv[3] as string))
else await main()

async function connect(url: string) {
	const client = createClient({ url })
	client.on('error', () => {})
	return client.connect()
}

function percentile(values: number[], p: number): number {
	const sorted = [...values].sort((a, b) => a - b)
	return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number
}

function managerOptions(tokenUrl: string, store: ReturnType<typeof redisStore>) {
	return { tokenUrl, clientId: 'bench', clientSecret: 'bench-secret', store, timeout: 2_000, refreshAhead: 200, expiryMargin: 100 }
}

async function main(): Promise<void> {
	const redis = await startRedisServer()
	const tokens = await startTokenServer({ lifetime: LIFETIME_S })
	const clients: Array<Awaited<ReturnType<typeof connect>>> = []
	const stores: Array<ReturnType<typeof redisStore>> = []
	const open = async (options: RedisStoreOptions = {}) => {
		const client = await connect(redis.url)
		clients.push(client)
		const store = redisStore(client, { prefix: 'bench:', ...options })
		stores.push(store)
		return store
	}
	try {
		console.log(`node ${process.version}, redis-server on 127.0.0.1:${redis.port}`)

		// 1 and 2: latency of the cached path and of the store's round trips.
		const store = await open()
		const sealed = await open({ encryption: { keys: { k1: randomBytes(32) }, current: 'k1' } })
		const manager = createTokenManager(managerOptions(tokens.url, store))
		await manager.getToken()
		const value = { version: 1 as const, accessToken: 'x'.repeat(900), tokenType: 'Bearer', expiresAt: Date.now() + 3_600_000, scope: ['read'], requestedAt: Date.now() }
		await store.set('plain', value, { ttl: 3_600_000 })
		await sealed.set('sealed', value, { ttl: 3_600_000 })
		let requestedAt = Date.now()

		const bench = new Bench({ time: 1500, warmupTime: 300 })
		bench
			.add('getToken() cached, Redis store', async () => {
				await manager.getToken()
			})
			.add('store.get (1 KB token, clear): GET + JSON', async () => {
				await store.get('plain')
			})
			.add('store.get (1 KB token, AES-256-GCM)', async () => {
				await sealed.get('sealed')
			})
			.add('store.set (newer-wins Lua)', async () => {
				await store.set('written', { ...value, requestedAt: requestedAt++ }, { ttl: 3_600_000 })
			})
			.add('store.lock + release, uncontended', async () => {
				const lock = await store.lock('bench-lock', { timeout: 1_000 })
				await lock.release()
			})
		await bench.run()
		console.table(
			bench.tasks.map((task) => {
				const result = task.result
				if (result.state !== 'completed') return { task: task.name, state: result.state }
				return {
					task: task.name,
					'ops/s': Math.round(result.throughput.mean),
					'p50 µs': Math.round(result.latency.p50 * 1000 * 10) / 10,
					'p99 µs': Math.round(result.latency.p99 * 1000 * 10) / 10,
				}
			}),
		)

		// 3: hand-over latency: a holder releases, a waiter with its own connection takes the lock.
		for (const [label, options] of [
			['pub/sub wake-up (default)', {}],
			['polling every 100 ms (notifications: false)', { notifications: false }],
			['polling every 10 ms (notifications: false)', { notifications: false, pollInterval: 10 }],
		] as const) {
			const holder = await open()
			const waiter = await open(options)
			const samples: number[] = []
			// Round 0 is the first contention: with pub/sub on, it also opens the subscriber connection.
			for (let round = 0; round <= 40; round++) {
				const key = `handover-${label}-${round}`
				const held = await holder.lock(key, { timeout: 10_000 })
				let acquiredAt = 0
				const waiting = waiter.lock(key, { timeout: 10_000 }).then((lock) => {
					acquiredAt = performance.now()
					return lock
				})
				await new Promise((resolve) => setTimeout(resolve, 15))
				const releasedAt = performance.now()
				await held.release()
				await (await waiting).release()
				samples.push(acquiredAt - releasedAt)
			}
			const first = samples.shift() as number
			console.log(
				`lock hand-over, ${label}: p50 ${percentile(samples, 50).toFixed(2)} ms, p99 ${percentile(samples, 99).toFixed(2)} ms ` +
					`(40 hand-overs; the first contention before them: ${first.toFixed(1)} ms)`,
			)
		}

		// 4: a fleet of processes, each with its own client and manager, over three token lifetimes.
		const prefix = `fleet-${randomBytes(4).toString('hex')}:`
		const self = fileURLToPath(import.meta.url)
		const children = Array.from({ length: FLEET }, (_unused, id) =>
			fork(self, ['worker', JSON.stringify({ id, redisUrl: redis.url, tokenUrl: tokens.url, prefix })], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }),
		)
		await Promise.all(children.map((child) => new Promise((resolve) => child.once('message', resolve))))
		let failed = false
		for (let round = 1; round <= 3; round++) {
			const before = tokens.count()
			const started = performance.now()
			const replies = (await Promise.all(
				children.map(
					(child) =>
						new Promise((resolve) => {
							child.once('message', resolve)
							child.send({ count: CALLERS })
						}),
				),
			)) as Array<{ tokens: string[]; errors: number; latencies: number[] }>
			const elapsed = performance.now() - started
			const latencies = replies.flatMap((reply) => reply.latencies)
			const distinct = new Set(replies.flatMap((reply) => reply.tokens)).size
			const errors = replies.reduce((sum, reply) => sum + reply.errors, 0)
			const requests = tokens.count() - before
			console.log(
				`fleet round ${round}: ${FLEET} processes x ${CALLERS} concurrent getToken -> ${requests} token request(s), ${distinct} distinct token(s), ` +
					`${errors} error(s); per call p50 ${percentile(latencies, 50).toFixed(1)} ms, p99 ${percentile(latencies, 99).toFixed(1)} ms; round ${elapsed.toFixed(0)} ms`,
			)
			if (requests !== 1 || distinct !== 1 || errors !== 0) failed = true
			if (round < 3) await new Promise((resolve) => setTimeout(resolve, LIFETIME_S * 1000 + 150))
		}
		for (const child of children) child.send({ exit: true })
		await Promise.all(children.map((child) => new Promise((resolve) => child.once('exit', resolve))))
		if (failed) {
			console.error('FAIL: expected exactly one token request per round')
			process.exitCode = 1
		}
	} finally {
		for (const store of stores) await store.close()
		for (const client of clients) await client.close()
		await tokens.close()
		await redis.dispose()
	}
}

async function worker(config: { id: number; redisUrl: string; tokenUrl: string; prefix: string }): Promise<void> {
	const client = await connect(config.redisUrl)
	const store = redisStore(client, { prefix: config.prefix })
	const manager = createTokenManager(managerOptions(config.tokenUrl, store))
	process.on('message', async (message: { count?: number; exit?: boolean }) => {
		if (message.exit) {
			await store.close()
			await client.close()
			process.exit(0)
		}
		const latencies: number[] = []
		const results = await Promise.allSettled(
			Array.from({ length: message.count ?? 0 }, async () => {
				const started = performance.now()
				const token = await manager.getToken()
				latencies.push(performance.now() - started)
				return token.accessToken
			}),
		)
		const tokens = [...new Set(results.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : [])))]
		process.send?.({ tokens, errors: results.filter((result) => result.status === 'rejected').length, latencies })
	})
	process.send?.({ ready: config.id })
}

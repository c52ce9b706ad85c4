// @tokenwarden/redis benchmarks, on a redis-server of their own (started on a free port, stopped at the end):
// 1. getToken() on a cached token with the Redis store (the manager answers from its local copy),
// 2. the store's own round trips: get (clear and encrypted), set, uncontended lock + release,
// 3. lock hand-over latency between processes: pub/sub wake-up versus polling,
// 4. token requests made by a fleet of 8 processes x 250 concurrent callers, over 3 token lifetimes,
// 5. 100,000 account holders on one Redis, written and read by 4 processes: store.set / store.get throughput,
//    and Redis memory per holder (INFO used_memory, and MEMORY USAGE sampled on 1,000 holders).
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
const HOLDERS = 100_000
const HOLDER_PROCESSES = 4
/** Store calls each holder process keeps in flight. */
const IN_FLIGHT = 64

if (process.argv[2] === 'worker') await worker(JSON.parse(process.argv[3] as string))
else if (process.argv[2] === 'holders') await holdersWorker(JSON.parse(process.argv[3] as string))
else await main()

/** The store keys of one account holder, as core names them: the grant (refresh token) and the access token of the consented scope. */
function holderKeys(index: number): { grant: string; token: string } {
	const parts = (values: string[]) => values.map(encodeURIComponent).join(':')
	const tokenUrl = 'https://auth.bank.example/oauth/token'
	const subject = `account-${String(index).padStart(8, '0')}`
	return { grant: `tokenwarden:v1:grant:${parts([tokenUrl, 'bench-client', subject])}`, token: `tokenwarden:v1:${parts([tokenUrl, 'bench-client', '', `s:${subject}`])}` }
}

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

		// 5: 100,000 holders on one Redis, by 4 processes (tokens of ~50 bytes, as a bank issues them).
		const inspector = clients[0] as Awaited<ReturnType<typeof connect>>
		const usedMemory = async () => Number(/used_memory:(\d+)/.exec(await inspector.info('memory'))?.[1])
		await inspector.flushAll()
		const memoryBefore = await usedMemory()
		const share = HOLDERS / HOLDER_PROCESSES
		const holderChildren = Array.from({ length: HOLDER_PROCESSES }, (_unused, id) =>
			fork(self, ['holders', JSON.stringify({ redisUrl: redis.url, from: id * share, to: (id + 1) * share })], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }),
		)
		await Promise.all(holderChildren.map((child) => new Promise((resolve) => child.once('message', resolve))))
		const phase = async (op: 'set' | 'get') => {
			const started = performance.now()
			const replies = (await Promise.all(
				holderChildren.map(
					(child) =>
						new Promise((resolve) => {
							child.once('message', resolve)
							child.send({ op })
						}),
				),
			)) as Array<{ calls: number; errors: number; latencies: number[] }>
			const seconds = (performance.now() - started) / 1000
			const calls = replies.reduce((sum, reply) => sum + reply.calls, 0)
			const latencies = replies.flatMap((reply) => reply.latencies)
			const errors = replies.reduce((sum, reply) => sum + reply.errors, 0)
			console.log(
				`${HOLDERS.toLocaleString('en')} holders, store.${op} (${op === 'set' ? 'grant + access token' : 'access token'}), ${HOLDER_PROCESSES} processes x ${IN_FLIGHT} in flight: ` +
					`${Math.round(calls / seconds).toLocaleString('en')} calls/s, p50 ${percentile(latencies, 50).toFixed(2)} ms, p99 ${percentile(latencies, 99).toFixed(2)} ms, ${errors} error(s)`,
			)
			if (errors > 0) failed = true
		}
		await phase('set')
		await phase('get')
		const memoryAfter = await usedMemory()
		let sampled = 0
		for (let sample = 0; sample < 1_000; sample++) {
			const { grant, token } = holderKeys(Math.floor(Math.random() * HOLDERS))
			sampled += Number(await inspector.memoryUsage(`bench:${grant}`)) + Number(await inspector.memoryUsage(`bench:${token}`))
		}
		const keys = await inspector.dbSize()
		console.log(
			`${HOLDERS.toLocaleString('en')} holders in Redis (${keys.toLocaleString('en')} keys): used_memory grew ${((memoryAfter - memoryBefore) / 1024 / 1024).toFixed(1)} MiB, ` +
				`${Math.round((memoryAfter - memoryBefore) / HOLDERS)} bytes per holder; MEMORY USAGE sampled on 1,000 holders: ${Math.round(sampled / 1_000)} bytes per holder (grant + access token)`,
		)
		for (const child of holderChildren) child.send({ op: 'exit' })
		await Promise.all(holderChildren.map((child) => new Promise((resolve) => child.once('exit', resolve))))
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

/** One of the processes of section 5: writes or reads the holders [from, to) with IN_FLIGHT store calls at a time. */
async function holdersWorker(config: { redisUrl: string; from: number; to: number }): Promise<void> {
	const client = await connect(config.redisUrl)
	const store = redisStore(client, { prefix: 'bench:' })
	const issuedAt = Date.now()
	process.on('message', async (message: { op: 'set' | 'get' | 'exit' }) => {
		if (message.op === 'exit') {
			await store.close()
			await client.close()
			process.exit(0)
		}
		const latencies: number[] = []
		let errors = 0
		let calls = 0
		let next = config.from
		const lane = async () => {
			while (next < config.to) {
				const index = next++
				const { grant, token } = holderKeys(index)
				const started = performance.now()
				try {
					if (message.op === 'set') {
						const requestedAt = issuedAt + index
						await store.set(grant, { version: 1, requestedAt, refreshToken: `rt-${randomBytes(24).toString('base64url')}`, scope: ['saldo.read'] }, { ttl: 90 * 86_400_000 })
						await store.set(
							token,
							{
								version: 1,
								requestedAt,
								accessToken: `at-${randomBytes(24).toString('base64url')}`,
								tokenType: 'Bearer',
								expiresAt: requestedAt + 3_600_000,
								scope: ['saldo.read'],
							},
							{ ttl: 3_600_000 },
						)
						calls += 2
					} else {
						if ((await store.get(token))?.accessToken === undefined) errors++
						calls++
					}
				} catch {
					errors++
				}
				latencies.push(performance.now() - started)
			}
		}
		await Promise.all(Array.from({ length: IN_FLIGHT }, lane))
		process.send?.({ calls, errors, latencies })
	})
	process.send?.({ ready: true })
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

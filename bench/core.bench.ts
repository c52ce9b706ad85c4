// Core benchmarks: getToken on a cached token, and 10,000 concurrent first calls.
// Run with `pnpm bench` (builds first). Numbers go to bench/README.md with machine and date.
import { Bench } from 'tinybench'
import { createTokenManager, type FetchLike } from '@tokenwarden/core'

let tokenRequests = 0
const fetchToken: FetchLike = async () => {
	tokenRequests++
	// A little latency, like a real token endpoint, so concurrent callers really overlap.
	await new Promise((resolve) => setTimeout(resolve, 5))
	return new Response(JSON.stringify({ access_token: 'bench-token', token_type: 'Bearer', expires_in: 3600 }), {
		headers: { 'content-type': 'application/json' },
	})
}
const options = { tokenUrl: 'https://auth.example.com/oauth/token', clientId: 'bench', clientSecret: 'secret', fetch: fetchToken }

function median(values: number[]): number {
	const sorted = [...values].sort((a, b) => a - b)
	const middle = Math.floor(sorted.length / 2)
	return sorted.length % 2 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2
}

// 1. Cached getToken: tinybench latency (includes its own per-call overhead), and a tight loop.
const cached = createTokenManager(options)
await cached.getToken()
const scoped = createTokenManager({ ...options, scope: 'cob.read cob.write' })
await scoped.getToken({ scope: ['cob.write', 'cob.read'] })

const bench = new Bench({ time: 1000, warmupTime: 200 })
bench
	.add('getToken() cached', async () => {
		await cached.getToken()
	})
	.add('getToken({ scope }) cached, scope normalised per call', async () => {
		await scoped.getToken({ scope: ['cob.write', 'cob.read'] })
	})
	.add('baseline: await Promise.resolve()', async () => {
		await Promise.resolve(1)
	})
await bench.run()

const rows = bench.tasks.map((task) => {
	const result = task.result
	if (result.state !== 'completed') return { task: task.name, state: result.state }
	return {
		task: task.name,
		'median ns': Math.round(result.latency.p50 * 1e6),
		'p99 ns': Math.round(result.latency.p99 * 1e6),
		'ops/s': Math.round(result.throughput.mean),
	}
})
console.table(rows)

// Tight loop: ns per awaited cached getToken, median of 7 rounds of 1,000,000 calls.
const rounds: number[] = []
for (let round = 0; round < 7; round++) {
	const calls = 1_000_000
	const start = process.hrtime.bigint()
	for (let i = 0; i < calls; i++) await cached.getToken()
	rounds.push(Number(process.hrtime.bigint() - start) / calls)
}
console.log(`cached getToken, tight loop: median ${median(rounds).toFixed(0)} ns per call (7 rounds of 1,000,000)`)

// 2. 10,000 concurrent first calls -> exactly one token request.
const cold = createTokenManager(options)
tokenRequests = 0
const start = performance.now()
const tokens = await Promise.all(Array.from({ length: 10_000 }, () => cold.getToken()))
const elapsed = performance.now() - start
const distinct = new Set(tokens.map((token) => token.accessToken)).size
console.log(`10,000 concurrent first getToken calls: ${tokenRequests} token request(s), ${distinct} distinct token(s), ${elapsed.toFixed(1)} ms`)
if (tokenRequests !== 1) {
	console.error('FAIL: expected exactly one token request')
	process.exitCode = 1
}

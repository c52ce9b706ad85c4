// Adapter overhead: requests/s through @tokenwarden/axios, @tokenwarden/ky and @tokenwarden/fetch (withTokens(fetch)
// and the undici tokenInterceptor) against a local
// node:http server, as a ratio to the same client with a static Authorization header.
// Run with `pnpm build && pnpm exec node bench/adapters.bench.ts` (or `pnpm bench adapters`).
// The server runs in a child process (so that its work does not hide the client's) and exits with
// this process, or after two minutes at most.
import { fork } from 'node:child_process'
import { Agent, createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import axios, { type AxiosAdapter, type AxiosInstance } from 'axios'
import ky, { type KyInstance } from 'ky'
import { createTokenManager, type FetchLike } from '@tokenwarden/core'
import { withTokens as axiosWithTokens } from '@tokenwarden/axios'
import { tokenInterceptor, withTokens as fetchWithTokens } from '@tokenwarden/fetch'
import { withTokens as kyWithTokens } from '@tokenwarden/ky'
import { Agent as UndiciAgent, request as undiciRequest } from 'undici'

const TOKEN = 'bench-token'
const CONCURRENCY = 16
const REQUESTS_PER_ROUND = 500
const ROUNDS = 25
/** Part 2: the adapter's own cost per request, without network or server, on an in-memory transport. */
const MEMORY_REQUESTS = 20_000
const MEMORY_ROUNDS = 7
const SERVER_LIFETIME = 120_000
/** Goals (issue 18): throughput ÷ static at least this, client CPU per request ÷ static at most this. */
const GOAL_RATE = 0.97
const GOAL_CPU = 1.05

if (process.argv[2] === '--server') {
	// Child: answer every request, count those that carried the token, report on demand.
	let withToken = 0
	const server = createServer((request, response) => {
		if (request.headers.authorization === `Bearer ${TOKEN}`) withToken++
		if (request.url === '/count') {
			response.end(JSON.stringify({ withToken }))
			return
		}
		response.writeHead(200, { 'content-type': 'application/json', 'content-length': '11' })
		response.end('{"ok":true}')
	})
	server.keepAliveTimeout = 10_000
	server.listen(0, '127.0.0.1', () => process.send?.((server.address() as AddressInfo).port))
	const stop = () => {
		server.closeAllConnections()
		server.close()
		process.exit(0)
	}
	process.on('disconnect', stop)
	setTimeout(stop, SERVER_LIFETIME).unref()
} else {
	await main()
}

async function main(): Promise<void> {
	const child = fork(new URL(import.meta.url), ['--server'], { stdio: 'inherit' })
	const port = await new Promise<number>((resolve) => child.once('message', (message) => resolve(message as number)))
	const origin = `http://127.0.0.1:${port}`
	try {
		await measure(origin)
	} finally {
		child.disconnect()
	}
}

async function measure(origin: string): Promise<void> {
	let tokenRequests = 0
	// The token endpoint is not what is measured: answer in-process, once per hour of token life.
	const fetchToken: FetchLike = async () => {
		tokenRequests++
		return new Response(JSON.stringify({ access_token: TOKEN, token_type: 'Bearer', expires_in: 3600 }), { headers: { 'content-type': 'application/json' } })
	}
	const tokens = createTokenManager({ tokenUrl: 'https://auth.example.com/oauth/token', clientId: 'bench', clientSecret: 'secret', fetch: fetchToken })
	const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY })
	const axiosClient = (): AxiosInstance => axios.create({ baseURL: origin, httpAgent: agent })
	const staticHeader = { Authorization: `Bearer ${TOKEN}` }

	const clients: Record<string, () => Promise<unknown>> = {}
	const axiosStatic = axiosClient()
	axiosStatic.defaults.headers.common.Authorization = staticHeader.Authorization
	const axiosTokens = axiosWithTokens(axiosClient(), tokens)
	const kyStatic: KyInstance = ky.create({ baseUrl: origin, headers: staticHeader, retry: 0 })
	// The same client as the static one (retry: 0 too: with retries on, ky clones every request in advance).
	const kyTokens = kyWithTokens(ky.create({ baseUrl: origin, retry: 0 }), tokens)
	clients['axios static'] = () => axiosStatic.get('/cob')
	clients['axios withTokens'] = () => axiosTokens.get('/cob')
	clients['ky static'] = () => kyStatic.get('cob').text()
	clients['ky withTokens'] = () => kyTokens.get('cob').text()
	// Node's global fetch (its own undici and connection pool), static header vs withTokens.
	const fetchTokens = fetchWithTokens(fetch, tokens, { baseUrl: origin })
	clients['fetch static'] = async () => (await fetch(`${origin}/cob`, { headers: staticHeader })).text()
	clients['fetch withTokens'] = async () => (await fetchTokens('/cob')).text()
	// undici.request on one Agent: static header vs the same kind of Agent composed with tokenInterceptor.
	const undiciPlain = new UndiciAgent({ connections: CONCURRENCY })
	const undiciTokens = new UndiciAgent({ connections: CONCURRENCY }).compose(tokenInterceptor(tokens, { origins: [origin] }))
	clients['undici static'] = async () => (await undiciRequest(`${origin}/cob`, { dispatcher: undiciPlain, headers: staticHeader })).body.text()
	clients['undici withTokens'] = async () => (await undiciRequest(`${origin}/cob`, { dispatcher: undiciTokens })).body.text()

	/**
	 * One round: REQUESTS_PER_ROUND requests, CONCURRENCY in flight. Requests/s is wall-clock and
	 * moves with whatever else the machine runs; the client process's CPU time per request moves
	 * much less, and at saturation it is what bounds requests/s.
	 */
	async function round(send: () => Promise<unknown>): Promise<{ rate: number; cpu: number }> {
		let started = 0
		const worker = async () => {
			while (started < REQUESTS_PER_ROUND) {
				started++
				await send()
			}
		}
		const start = process.hrtime.bigint()
		const cpuStart = process.cpuUsage()
		await Promise.all(Array.from({ length: CONCURRENCY }, worker))
		const cpu = process.cpuUsage(cpuStart)
		return {
			rate: REQUESTS_PER_ROUND / (Number(process.hrtime.bigint() - start) / 1e9),
			cpu: (cpu.user + cpu.system) / REQUESTS_PER_ROUND,
		}
	}

	const names = Object.keys(clients)
	const results = new Map<string, { rate: number[]; cpu: number[] }>(names.map((name) => [name, { rate: [], cpu: [] }]))
	const ratios = new Map<string, { rate: number[]; cpu: number[] }>([
		['axios', { rate: [], cpu: [] }],
		['ky', { rate: [], cpu: [] }],
		['fetch', { rate: [], cpu: [] }],
		['undici', { rate: [], cpu: [] }],
	])
	// One warm-up round each. Then, per round and client, the static and the adapter variant back to
	// back (alternating which goes first), so that both see the same load on a shared machine; the
	// ratios are medians of the per-round ratios.
	for (const name of names) await round(clients[name] as () => Promise<unknown>)
	for (let r = 0; r < ROUNDS; r++) {
		for (const [client, ratio] of ratios) {
			const staticName = `${client} static`
			const adapterName = `${client} withTokens`
			const pair = r % 2 === 0 ? [staticName, adapterName] : [adapterName, staticName]
			const measured: Record<string, { rate: number; cpu: number }> = {}
			for (const name of pair) {
				const result = await round(clients[name] as () => Promise<unknown>)
				measured[name] = result
				results.get(name)?.rate.push(result.rate)
				results.get(name)?.cpu.push(result.cpu)
			}
			const [base, adapter] = [measured[staticName], measured[adapterName]] as [{ rate: number; cpu: number }, { rate: number; cpu: number }]
			ratio.rate.push(adapter.rate / base.rate)
			ratio.cpu.push(adapter.cpu / base.cpu)
		}
	}

	const { withToken } = (await (await fetch(`${origin}/count`)).json()) as { withToken: number }
	const total = names.length * (ROUNDS + 1) * REQUESTS_PER_ROUND
	agent.destroy()
	await Promise.all([undiciPlain.close(), undiciTokens.close()])

	const rows = []
	for (const [client, ratio] of ratios) {
		const base = results.get(`${client} static`)
		const adapter = results.get(`${client} withTokens`)
		const rate = median(ratio.rate)
		const cpu = median(ratio.cpu)
		rows.push({
			client,
			'static req/s': Math.round(median(base?.rate ?? [])),
			'withTokens req/s': Math.round(median(adapter?.rate ?? [])),
			'req/s ratio': Number(rate.toFixed(3)),
			'static CPU µs/req': Math.round(median(base?.cpu ?? [])),
			'withTokens CPU µs/req': Math.round(median(adapter?.cpu ?? [])),
			'CPU ratio': Number(cpu.toFixed(3)),
			// Issue 18's goals: throughput at least 0.97 of the static header's, client CPU per request at most 1.05 of it.
			'goal met': rate >= GOAL_RATE && cpu <= GOAL_CPU ? 'yes' : 'no',
		})
	}
	console.log(
		`concurrency ${CONCURRENCY}, ${ROUNDS} rounds × ${REQUESTS_PER_ROUND} requests per variant, server in a child process; ratios are medians of per-round ratios (CPU ratio: withTokens CPU per request / static CPU per request); goals: req/s ratio >= ${GOAL_RATE}, CPU ratio <= ${GOAL_CPU}`,
	)
	console.table(rows)
	console.log(`token requests: ${tokenRequests}; requests carrying the token: ${withToken} of ${total}`)
	if (withToken !== total) process.exitCode = 1
	await inMemory(tokens)
}

/**
 * The adapter's own cost: the same clients on an in-memory transport (an axios adapter, a ky
 * `fetch`) that answers at once, so the time is all client code. Microseconds per request, median
 * of rounds, static header versus adapter; the difference is what the adapter adds to every request.
 */
async function inMemory(tokens: ReturnType<typeof createTokenManager>): Promise<void> {
	const base = 'https://api.example.com'
	const adapter: AxiosAdapter = async (config) => ({ data: { ok: true }, status: 200, statusText: 'OK', headers: {}, config, request: {} })
	const fetchOk = async () => new Response('{"ok":true}', { headers: { 'content-type': 'application/json' } })
	const header = { Authorization: `Bearer ${TOKEN}` }
	const axiosTokens = axiosWithTokens(axios.create({ baseURL: base, adapter }), tokens)
	const axiosStatic = axios.create({ baseURL: base, adapter, headers: header })
	const kyStatic = ky.create({ baseUrl: base, fetch: fetchOk, headers: header })
	const kyTokens = kyWithTokens(ky.create({ baseUrl: base, fetch: fetchOk }), tokens)
	const fetchTokens = fetchWithTokens(fetchOk, tokens, { baseUrl: base })
	const clients: Record<string, () => Promise<unknown>> = {
		'fetch static': async () => (await fetchOk()).text(),
		'fetch withTokens': async () => (await fetchTokens('/cob')).text(),
		'axios static': () => axiosStatic.get('/cob'),
		'axios withTokens': () => axiosTokens.get('/cob'),
		'ky static': () => kyStatic.get('cob').text(),
		'ky withTokens': () => kyTokens.get('cob').text(),
	}
	const times = new Map<string, number[]>(Object.keys(clients).map((name) => [name, []]))
	for (let r = 0; r <= MEMORY_ROUNDS; r++) {
		for (const [name, send] of Object.entries(clients)) {
			let started = 0
			const worker = async () => {
				while (started < MEMORY_REQUESTS) {
					started++
					await send()
				}
			}
			const start = process.hrtime.bigint()
			await Promise.all(Array.from({ length: CONCURRENCY }, worker))
			// Round 0 warms up.
			if (r > 0) times.get(name)?.push(Number(process.hrtime.bigint() - start) / 1000 / MEMORY_REQUESTS)
		}
	}
	const rows = ['axios', 'ky', 'fetch'].map((client) => {
		const plain = median(times.get(`${client} static`) ?? [])
		const adapted = median(times.get(`${client} withTokens`) ?? [])
		return { client, 'static µs/req': Number(plain.toFixed(1)), 'withTokens µs/req': Number(adapted.toFixed(1)), 'added µs/req': Number((adapted - plain).toFixed(1)) }
	})
	console.log(`\nin-memory transport (no network, no server): ${MEMORY_ROUNDS} rounds × ${MEMORY_REQUESTS} requests, concurrency ${CONCURRENCY}, medians`)
	console.table(rows)
}

function median(values: number[]): number {
	const sorted = [...values].sort((a, b) => a - b)
	const middle = Math.floor(sorted.length / 2)
	return sorted.length % 2 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2
}

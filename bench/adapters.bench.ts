// Adapter overhead: requests/s through @tokenwarden/axios, @tokenwarden/ky and @tokenwarden/fetch (withTokens(fetch)
// and the undici tokenInterceptor) against a local node:http server, as a ratio to the same client
// with a static Authorization header.
// Run with `pnpm build && pnpm exec node bench/adapters.bench.ts` (or `pnpm bench adapters`);
// `--control` runs the A/A check described at CONTROL.
// The server runs in a child process of its own (so that its work does not hide the client's); each
// trial (one client, one variant) runs in a fresh client process, as issue 18 measured.
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
const ALL_CLIENTS = ['axios', 'ky', 'fetch', 'undici'] as const
type Client = (typeof ALL_CLIENTS)[number]
/** `--clients=axios,ky` measures only those. */
const CLIENTS: readonly Client[] =
	(process.argv
		.find((arg) => arg.startsWith('--clients='))
		?.slice('--clients='.length)
		.split(',') as Client[] | undefined) ?? ALL_CLIENTS
/**
 * Each client runs in a fresh process of its own, where the static header and the adapter take turns
 * in short slices (S T S T …, so every slice follows one of the other variant: switching costs both the
 * same), and machine noise, which on a shared 2-core VM moves throughput by 10 % from second to second
 * and by as much from one process to the next, hits both alike. Measured first with other designs, A/A
 * (static against static): fresh processes per variant spread pair ratios from 0.84 to 1.16; rounds of
 * 500 requests after a 500-request warm-up swung 2–3× (undici.request reached its steady ~43,000 req/s
 * only after ~25,000 requests, as V8 finished optimising).
 */
const WARM_UP_SECONDS = 3
/** Slices per variant, and their length at the static header's rate. */
const SLICES = 60
const SLICE_SECONDS = 0.1
/** Fresh processes per client; the table gives the median of their ratios. */
const REPETITIONS = 3
/**
 * `--control`: an A/A run. The "withTokens" trial of every client is the static-header client again,
 * so every ratio should be 1: how far it lands from 1 is the noise floor of this machine and design.
 */
const CONTROL = process.argv.includes('--control')
/** Part 2: the adapter's own cost per request, without network or server, on an in-memory transport. */
const MEMORY_REQUESTS = 20_000
const MEMORY_ROUNDS = 7
const SERVER_LIFETIME = 30 * 60_000
/** Goals (issue 18): throughput ÷ static at least this, client CPU per request ÷ static at most this. */
const GOAL_RATE = 0.97
const GOAL_CPU = 1.05

/** What one client's process reports. */
interface Trial {
	staticRate: number
	adapterRate: number
	rateRatio: number
	/** Client CPU (user + system, all threads) per request, µs. */
	staticCpu: number
	adapterCpu: number
	cpuRatio: number
	/** Requests sent, and how many of them the server saw with the token. */
	sent: number
	withToken: number
	tokenRequests: number
}

if (process.argv[2] === '--server') {
	// Server: answer every request, count those that carried the token, report (and reset) on demand.
	let withToken = 0
	const server = createServer((request, response) => {
		if (request.headers.authorization === `Bearer ${TOKEN}`) withToken++
		if (request.url === '/count') {
			response.end(JSON.stringify({ withToken }))
			withToken = 0
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
} else if (process.argv[2] === '--trial') {
	const [origin, client] = process.argv.slice(3) as [string, Client]
	process.send?.(await trial(origin, client))
	process.disconnect?.()
} else {
	await main()
}

async function main(): Promise<void> {
	const server = fork(new URL(import.meta.url), ['--server'], { stdio: 'inherit' })
	const port = await new Promise<number>((resolve) => server.once('message', (message) => resolve(message as number)))
	const origin = `http://127.0.0.1:${port}`
	try {
		await measure(origin)
	} finally {
		server.disconnect()
	}
}

/** One client's trial in a fresh process. */
function runTrial(origin: string, client: Client): Promise<Trial> {
	return new Promise((resolve, reject) => {
		const child = fork(new URL(import.meta.url), ['--trial', origin, client, ...(CONTROL ? ['--control'] : [])], { stdio: 'inherit' })
		child.once('message', (message) => resolve(message as Trial))
		child.once('exit', (code) => (code === 0 ? undefined : reject(new Error(`trial of ${client} exited with ${code}`))))
	})
}

async function measure(origin: string): Promise<void> {
	const trials = new Map<Client, Trial[]>(CLIENTS.map((client) => [client, []]))
	for (let repetition = 0; repetition < REPETITIONS; repetition++) {
		for (const client of CLIENTS) trials.get(client)?.push(await runTrial(origin, client))
	}
	let missing = 0
	let tokenRequests = 0
	const rows = []
	for (const [client, runs] of trials) {
		for (const run of runs) {
			missing += run.sent - run.withToken
			tokenRequests += run.tokenRequests
		}
		const rate = median(runs.map((run) => run.rateRatio))
		const cpu = median(runs.map((run) => run.cpuRatio))
		rows.push({
			client,
			'static req/s': Math.round(median(runs.map((run) => run.staticRate))),
			'withTokens req/s': Math.round(median(runs.map((run) => run.adapterRate))),
			'req/s ratio': Number(rate.toFixed(3)),
			'each run': runs.map((run) => run.rateRatio.toFixed(3)).join(' '),
			'static CPU µs/req': Number(median(runs.map((run) => run.staticCpu)).toFixed(1)),
			'withTokens CPU µs/req': Number(median(runs.map((run) => run.adapterCpu)).toFixed(1)),
			'CPU ratio': Number(cpu.toFixed(3)),
			// Issue 18's goals: throughput at least 0.97 of the static header's, client CPU per request at most 1.05 of it.
			'goal met': rate >= GOAL_RATE && cpu <= GOAL_CPU ? 'yes' : 'no',
		})
	}
	console.log(
		`${CONTROL ? 'A/A CONTROL (both variants send a static header): ' : ''}concurrency ${CONCURRENCY}; per client ${REPETITIONS} fresh processes, each ${WARM_UP_SECONDS} s of warm-up, then ${SLICES} slices of each variant taking turns (~${SLICE_SECONDS} s each); server in its own process. Per process: req/s ratio = the adapter's requests per second over all its slices / the static header's; CPU ratio likewise for client CPU per request. The table gives medians over the processes. Goals: req/s ratio >= ${GOAL_RATE}, CPU ratio <= ${GOAL_CPU}`,
	)
	console.table(rows)
	console.log(`token requests: ${tokenRequests} (one per process); requests the server saw without the token: ${missing}`)
	if (missing !== 0) process.exitCode = 1
	await inMemory()
}

/** A client's static-header and adapter variants, made in this (fresh) process. */
async function variantsOf(
	origin: string,
	client: Client,
	tokens: ReturnType<typeof createTokenManager>,
): Promise<{ static: () => Promise<unknown>; withTokens: () => Promise<unknown>; close: () => Promise<unknown> }> {
	const staticHeader = { Authorization: `Bearer ${TOKEN}` }
	if (client === 'axios') {
		const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY })
		const plain: AxiosInstance = axios.create({ baseURL: origin, httpAgent: agent })
		plain.defaults.headers.common.Authorization = staticHeader.Authorization
		const adapted: AxiosInstance = axios.create({ baseURL: origin, httpAgent: agent })
		if (CONTROL) adapted.defaults.headers.common.Authorization = staticHeader.Authorization
		else axiosWithTokens(adapted, tokens)
		return { static: () => plain.get('/cob'), withTokens: () => adapted.get('/cob'), close: async () => agent.destroy() }
	}
	if (client === 'ky') {
		// retry: 0 for both (with retries on, ky clones every request in advance).
		const plain: KyInstance = ky.create({ baseUrl: origin, headers: staticHeader, retry: 0 })
		const adapted: KyInstance = CONTROL ? ky.create({ baseUrl: origin, headers: staticHeader, retry: 0 }) : kyWithTokens(ky.create({ baseUrl: origin, retry: 0 }), tokens)
		return { static: () => plain.get('cob').text(), withTokens: () => adapted.get('cob').text(), close: async () => {} }
	}
	if (client === 'fetch') {
		// Node's global fetch (its own undici and connection pool).
		const fetchTokens = CONTROL ? (path: string) => fetch(`${origin}${path}`, { headers: staticHeader }) : fetchWithTokens(fetch, tokens, { baseUrl: origin })
		return {
			static: async () => (await fetch(`${origin}/cob`, { headers: staticHeader })).text(),
			withTokens: async () => (await fetchTokens('/cob')).text(),
			close: async () => {},
		}
	}
	// undici.request on an Agent; the adapter's Agent is composed with tokenInterceptor.
	const plain = new UndiciAgent({ connections: CONCURRENCY })
	const agent = new UndiciAgent({ connections: CONCURRENCY })
	const adapted = CONTROL ? agent : agent.compose(tokenInterceptor(tokens, { origins: [origin] }))
	const adaptedHeaders = CONTROL ? staticHeader : undefined
	return {
		static: async () => (await undiciRequest(`${origin}/cob`, { dispatcher: plain, headers: staticHeader })).body.text(),
		withTokens: async () => (await undiciRequest(`${origin}/cob`, { dispatcher: adapted, headers: adaptedHeaders })).body.text(),
		close: () => Promise.all([plain.close(), agent.close()]),
	}
}

/** One client in this process: warm-up, then SLICES slices of each variant taking turns. */
async function trial(origin: string, client: Client): Promise<Trial> {
	let tokenRequests = 0
	// The token endpoint is not what is measured: answer in-process, once per hour of token life.
	const fetchToken: FetchLike = async () => {
		tokenRequests++
		return new Response(JSON.stringify({ access_token: TOKEN, token_type: 'Bearer', expires_in: 3600 }), { headers: { 'content-type': 'application/json' } })
	}
	const tokens = createTokenManager({ tokenUrl: 'https://auth.example.com/oauth/token', clientId: 'bench', clientSecret: 'secret', fetch: fetchToken })
	const variants = await variantsOf(origin, client, tokens)
	let sent = 0
	/** `requests` requests, CONCURRENCY in flight: seconds and client CPU µs taken. */
	async function slice(send: () => Promise<unknown>, requests: number): Promise<{ seconds: number; cpu: number }> {
		let started = 0
		const worker = async () => {
			while (started < requests) {
				started++
				await send()
			}
		}
		const start = process.hrtime.bigint()
		const cpuStart = process.cpuUsage()
		await Promise.all(Array.from({ length: CONCURRENCY }, worker))
		const cpu = process.cpuUsage(cpuStart)
		sent += requests
		return { seconds: Number(process.hrtime.bigint() - start) / 1e9, cpu: cpu.user + cpu.system }
	}
	// Warm-up, taking turns too; it also sizes the slices from the static header's rate.
	let requests = 200
	for (const end = Date.now() + WARM_UP_SECONDS * 1000; Date.now() < end; ) {
		const { seconds } = await slice(variants.static, requests)
		await slice(variants.withTokens, requests)
		requests = Math.max(100, Math.round((requests / seconds) * SLICE_SECONDS))
	}
	const totals = { static: { seconds: 0, cpu: 0 }, withTokens: { seconds: 0, cpu: 0 } }
	for (let index = 0; index < SLICES; index++) {
		for (const variant of ['static', 'withTokens'] as const) {
			const { seconds, cpu } = await slice(variants[variant], requests)
			totals[variant].seconds += seconds
			totals[variant].cpu += cpu
		}
	}
	const { withToken } = (await (await fetch(`${origin}/count`)).json()) as { withToken: number }
	await variants.close()
	const staticRate = (SLICES * requests) / totals.static.seconds
	const adapterRate = (SLICES * requests) / totals.withTokens.seconds
	const staticCpu = totals.static.cpu / (SLICES * requests)
	const adapterCpu = totals.withTokens.cpu / (SLICES * requests)
	return { staticRate, adapterRate, rateRatio: adapterRate / staticRate, staticCpu, adapterCpu, cpuRatio: adapterCpu / staticCpu, sent, withToken, tokenRequests }
}

/**
 * The adapter's own cost: the same clients on an in-memory transport (an axios adapter, a ky
 * `fetch`) that answers at once, so the time is all client code. Microseconds per request, median
 * of rounds, static header versus adapter; the difference is what the adapter adds to every request.
 */
async function inMemory(): Promise<void> {
	const fetchToken: FetchLike = async () =>
		new Response(JSON.stringify({ access_token: TOKEN, token_type: 'Bearer', expires_in: 3600 }), { headers: { 'content-type': 'application/json' } })
	const tokens = createTokenManager({ tokenUrl: 'https://auth.example.com/oauth/token', clientId: 'bench', clientSecret: 'secret', fetch: fetchToken })
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

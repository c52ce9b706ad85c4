// Issue 19, many account holders in one process: heap per holder, cached holder getToken, refresh
// throughput against a local token server (createTokenServer), the token-request rate of 10,000 holders
// issued in one burst against the rate budget, and memory over a long run with churn.
// Run with `pnpm bench holders` (or `pnpm build && pnpm exec node bench/holders.bench.ts`).
// Simulated time (a manual clock) stands in for hours of wall-clock; heap figures are after a full GC.
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { type Clock, createTokenManager, type FetchLike, memoryStore, type StoredTokenSet, type TokenManager, type TokenStore, type TokenWardenEvent } from '@tokenwarden/core'
import { createTokenServer } from '@tokenwarden/testing'

setFlagsFromString('--expose-gc')
const gc = runInNewContext('gc') as () => void
const HOLDERS = Number(process.env.HOLDERS ?? 100_000)
const TOKEN_URL = 'https://auth.example.com/oauth/token'
const T0 = Date.parse('2026-03-01T12:00:00Z')

function heap(): number {
	gc()
	gc()
	return process.memoryUsage().heapUsed
}

function median(values: number[]): number {
	const sorted = [...values].sort((a, b) => a - b)
	const middle = Math.floor(sorted.length / 2)
	return sorted.length % 2 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2
}

/** A clock moved by hand: timers run when `advance` passes them (the budget's waits, request timeouts). */
function manualClock(start = T0) {
	let now = start
	let id = 0
	const timers = new Map<number, { at: number; callback: () => void }>()
	const clock: Clock = {
		now: () => now,
		setTimeout: (callback, ms) => {
			timers.set(++id, { at: now + ms, callback })
			return id
		},
		clearTimeout: (handle) => void timers.delete(handle as number),
	}
	return {
		clock,
		/** Moves time on by `ms`, running due timers in order, with a turn of the event loop between. */
		async advance(ms: number) {
			const until = now + ms
			for (;;) {
				let next: [number, { at: number; callback: () => void }] | undefined
				for (const entry of timers) if (entry[1].at <= until && (next === undefined || entry[1].at < next[1].at)) next = entry
				if (next === undefined) break
				timers.delete(next[0])
				now = Math.max(now, next[1].at)
				next[1].callback()
				await new Promise((resolve) => setImmediate(resolve))
			}
			now = until
			await new Promise((resolve) => setImmediate(resolve))
		},
	}
}

/** A fake token endpoint: an opaque ~50-byte access token and refresh token per request, answered at once. */
function fakeEndpoint(expiresIn = 3600) {
	let issued = 0
	const fetch: FetchLike = async (_url, init) => {
		issued++
		const grant = new URLSearchParams(String(init.body)).get('grant_type')
		const n = String(issued).padStart(8, '0')
		const body: Record<string, unknown> = { access_token: `at-${n}-0123456789abcdef0123456789abcdef0123`, token_type: 'Bearer', expires_in: expiresIn }
		if (grant !== 'client_credentials') body.refresh_token = `rt-${n}-0123456789abcdef0123456789abcdef0123`
		return new Response(JSON.stringify(body), { headers: { 'content-type': 'application/json' } })
	}
	return { fetch, count: () => issued }
}

async function consentAll(tokens: TokenManager, subjects: string[], parallel = 64): Promise<void> {
	let next = 0
	const worker = async () => {
		while (next < subjects.length) {
			const subject = subjects[next++] as string
			const { state } = await tokens.authorizationUrl()
			await tokens.exchangeCode({ code: `code-${subject}`, state, expectedState: state, subject })
		}
	}
	await Promise.all(Array.from({ length: parallel }, worker))
}

// 1. 100,000 holders in one process: heap per holder beyond the token bytes, cached getToken, code exchanges/s.
{
	const endpoint = fakeEndpoint()
	const subjects = Array.from({ length: HOLDERS }, (_, index) => `account-${String(index).padStart(7, '0')}`)
	const before = heap()
	const tokens = createTokenManager({
		tokenUrl: TOKEN_URL,
		clientId: 'bench',
		clientSecret: 'secret',
		fetch: endpoint.fetch,
		authorizeUrl: 'https://auth.example.com/authorize',
		redirectUri: 'https://app.example.com/cb',
	})
	const exchangeStart = performance.now()
	await consentAll(tokens, subjects)
	const exchangeSeconds = (performance.now() - exchangeStart) / 1000
	for (const subject of subjects) await tokens.getToken({ subject })
	const after = heap()
	// Token bytes: each holder's access and refresh token strings (48 characters each, one byte per character).
	const tokenBytes = 2 * 48
	const perHolder = (after - before) / HOLDERS
	console.log(
		`${HOLDERS.toLocaleString()} holders: ${exchangeSeconds.toFixed(1)} s of code exchanges (${Math.round(HOLDERS / exchangeSeconds).toLocaleString()}/s, in-process fake endpoint)`,
	)
	// The default memory store's own share: the same sets in a bare memoryStore (with Redis they live there instead).
	const storeBefore = heap()
	const bare = memoryStore({ maxEntries: 10_000, maxRefreshEntries: HOLDERS })
	for (const [index, subject] of subjects.entries()) {
		const n = String(index).padStart(8, '0')
		await bare.set(
			`tokenwarden:v1:grant:${encodeURIComponent(TOKEN_URL)}:bench:${encodeURIComponent(subject)}`,
			{
				version: 1,
				accessToken: `at-${n}-0123456789abcdef0123456789abcdef0123`,
				refreshToken: `rt-${n}-0123456789abcdef0123456789abcdef0123`,
				tokenType: 'Bearer',
				expiresAt: T0 + 3_600_000,
				scope: [],
				requestedAt: T0 + index,
			},
			{ ttl: 3_600_000 },
		)
	}
	const storeShare = (heap() - storeBefore) / HOLDERS - tokenBytes
	;(globalThis as { keep?: unknown }).keep = [tokens, bare]
	console.log(
		`heap per holder: ${perHolder.toFixed(0)} B in all, ${(perHolder - tokenBytes).toFixed(0)} B beyond the ${tokenBytes} token bytes with the default memory store; ` +
			`the store's own share ${storeShare.toFixed(0)} B beyond the token bytes, so the manager's ${(perHolder - tokenBytes - storeShare).toFixed(0)} B (goal ≤ 1024 B)`,
	)

	// Cached holder getToken: round-robin over every holder (each call another key), median of 7 rounds.
	const rounds: number[] = []
	for (let round = 0; round < 7; round++) {
		const start = process.hrtime.bigint()
		for (const subject of subjects) await tokens.getToken({ subject })
		rounds.push(Number(process.hrtime.bigint() - start) / subjects.length)
	}
	const same: number[] = []
	for (let round = 0; round < 7; round++) {
		const start = process.hrtime.bigint()
		for (let i = 0; i < 1_000_000; i++) await tokens.getToken({ subject: 'account-0000042' })
		same.push(Number(process.hrtime.bigint() - start) / 1_000_000)
	}
	console.log(
		`cached holder getToken: median ${median(rounds).toFixed(0)} ns per call round-robin over ${HOLDERS.toLocaleString()} holders, ${median(same).toFixed(0)} ns for one holder (goal ≤ 1000 ns), 7 rounds each`,
	)
}

// 2. Refresh throughput against a local token server (createTokenServer, in process): 10,000 holders' access tokens expire, every holder asks again.
{
	const count = 10_000
	const time = manualClock()
	const server = createTokenServer({ tokenUrl: TOKEN_URL, expiresIn: 300 })
	const tokens = createTokenManager({
		tokenUrl: TOKEN_URL,
		clientId: 'bench',
		clientSecret: 'secret',
		fetch: server.fetch,
		clock: time.clock,
		concurrency: 16,
		authorizeUrl: 'https://auth.example.com/authorize',
		redirectUri: 'https://app.example.com/cb',
	})
	const subjects = Array.from({ length: count }, (_, index) => `holder-${index}`)
	let next = 0
	await Promise.all(
		Array.from({ length: 64 }, async () => {
			while (next < subjects.length) {
				const subject = subjects[next++] as string
				const code = server.issueCode({ subject })
				const { state } = await tokens.authorizationUrl()
				await tokens.exchangeCode({ code, state, expectedState: state, subject })
			}
		}),
	)
	await time.advance(301_000)
	const start = performance.now()
	await Promise.all(subjects.map((subject) => tokens.getToken({ subject })))
	const seconds = (performance.now() - start) / 1000
	console.log(
		`refresh throughput: ${count.toLocaleString()} holders refreshed in ${seconds.toFixed(2)} s = ${Math.round(count / seconds).toLocaleString()} refreshes/s (createTokenServer in process, rotation on, concurrency 16)`,
	)
}

// 3. 10,000 holders issued in one burst (a migration: another process exchanged their codes into the shared
// store within a second): token requests per second when their refreshes fall due, against the budget.
async function burst(random: (() => number) | undefined) {
	const count = 10_000
	const budget = { limit: 500, interval: 1000 }
	const time = manualClock()
	const endpoint = fakeEndpoint(300)
	const store = memoryStore({ clock: time.clock, maxEntries: 20_000 })
	const common = { tokenUrl: TOKEN_URL, clientId: 'bench', clientSecret: 'secret', fetch: endpoint.fetch, clock: time.clock, store }
	const migration = createTokenManager({ ...common, authorizeUrl: 'https://auth.example.com/authorize', redirectUri: 'https://app.example.com/cb' })
	const subjects = Array.from({ length: count }, (_, index) => `holder-${index}`)
	await consentAll(migration, subjects)
	const events: TokenWardenEvent[] = []
	const tokens = createTokenManager({
		...common,
		concurrency: 64,
		rateLimit: budget,
		...(random && { random }),
		onEvent: (event) => {
			if (event.type === 'refresh-error' || event.type === 'token-error' || event.type === 'rate-limited') events.push(event)
		},
	})
	const issued = endpoint.count()
	const perSecond: number[] = []
	let pending = 0
	let failedCalls = 0
	// Quiet until just before the refresh window; then every holder's client asks for its token every second.
	await time.advance(229_000)
	for (let second = 230; second <= 300; second++) {
		const before = endpoint.count()
		for (const subject of subjects) {
			pending++
			tokens
				.getToken({ subject })
				.catch(() => {
					failedCalls++
				})
				.finally(() => {
					pending--
				})
		}
		await time.advance(1000)
		perSecond.push(endpoint.count() - before)
	}
	while (pending > 0) await time.advance(1000)
	const busy = perSecond.filter((n) => n > 0)
	return {
		refreshes: endpoint.count() - issued,
		'peak requests/s': Math.max(...perSecond),
		'seconds with requests': busy.length,
		'median requests/s in those': median(busy),
		'rate-limited waits': events.filter((event) => event.type === 'rate-limited').length,
		'failed refreshes': events.filter((event) => event.type === 'refresh-error').length,
		'failed calls': failedCalls,
		budget: `${budget.limit}/s`,
	}
}
{
	const spread = await burst(undefined)
	const lockstep = await burst(() => 0)
	console.log('10,000 holders issued in one burst (300 s tokens, refresh window 240–290 s, every holder busy every second), token requests per second, rateLimit 500/s:')
	console.table([
		{ mode: 'spread (default)', ...spread },
		{ mode: 'not spread (random = 0)', ...lockstep },
	])
}

// 4. Memory over a long run with churn: each simulated minute 2,000 new holders consent and stay busy for
// 5 minutes; then they go quiet and their grants leave the store (retention); heap sampled every 10 minutes.
{
	const time = manualClock()
	const endpoint = fakeEndpoint(3600)
	const inner = memoryStore({ clock: time.clock, maxEntries: 10_000 })
	const keysOf = new Map<string, string[]>()
	let currentSubject = ''
	const store: TokenStore = {
		get: (key) => inner.get(key),
		set: (key, value: StoredTokenSet, options) => {
			if (currentSubject !== '' && key.includes(currentSubject)) keysOf.set(currentSubject, [...(keysOf.get(currentSubject) ?? []), key])
			return inner.set(key, value, options)
		},
		delete: (key) => inner.delete(key),
		compareAndDelete: (key, token) => inner.compareAndDelete(key, token),
	}
	const tokens = createTokenManager({
		tokenUrl: TOKEN_URL,
		clientId: 'bench',
		clientSecret: 'secret',
		fetch: endpoint.fetch,
		clock: time.clock,
		store,
		authorizeUrl: 'https://auth.example.com/authorize',
		redirectUri: 'https://app.example.com/cb',
	})
	const waves: string[][] = []
	const samples: { minute: number; heapMB: number }[] = []
	const baseline = heap()
	for (let minute = 1; minute <= 120; minute++) {
		const wave = Array.from({ length: 2_000 }, (_, index) => `m${minute}-h${index}-`)
		for (const subject of wave) {
			currentSubject = subject
			const { state } = await tokens.authorizationUrl()
			await tokens.exchangeCode({ code: 'c', state, expectedState: state, subject })
		}
		currentSubject = ''
		waves.push(wave)
		for (const active of waves.slice(-5)) for (const subject of active) await tokens.getToken({ subject })
		// Holders quiet for 5 minutes: their grants leave the store (as retention or another process's logout would).
		const retired = waves.length > 5 ? waves.shift() : undefined
		for (const subject of retired ?? []) for (const key of keysOf.get(subject) ?? []) await inner.delete(key)
		for (const subject of retired ?? []) keysOf.delete(subject)
		await time.advance(60_000)
		if (minute % 20 === 0) samples.push({ minute, heapMB: Number(((heap() - baseline) / 1e6).toFixed(1)) })
	}
	console.log('memory over 120 simulated minutes, 2,000 new holders a minute (240,000 in all), 10,000 busy at a time; heap above the start, MB:')
	console.table(samples)
}

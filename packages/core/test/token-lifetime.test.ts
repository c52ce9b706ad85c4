import { describe, expect, it, vi } from 'vitest'
import { createTokenManager, type FetchLike, memoryStore, type StoredTokenSet, type TokenManagerOptions, type TokenStore, type TokenWardenEvent } from '@tokenwarden/core'
import { CLIENT_ID, CLIENT_SECRET, flush, TOKEN_URL, useFakeTime } from './helpers.ts'

const T0 = Date.parse('2026-03-01T12:00:00Z')
useFakeTime(T0)

/** A token endpoint on fake time: answers after `latency` ms; `down()` makes it answer 503 until `up()`. */
function countingEndpoint(expiresIn: number, latency = 10) {
	let issued = 0
	let down = false
	const attempts: { at: number; ok: boolean; form: URLSearchParams }[] = []
	const fetch: FetchLike = async (_url, init) => {
		const form = new URLSearchParams(String(init.body))
		await new Promise((resolve) => setTimeout(resolve, latency))
		attempts.push({ at: Date.now(), ok: !down, form })
		if (down) return new Response('', { status: 503 })
		issued++
		const body: Record<string, unknown> = { access_token: `at-${issued}`, token_type: 'Bearer', expires_in: expiresIn }
		if (form.get('grant_type') !== 'client_credentials') Object.assign(body, { refresh_token: `rt-${issued}`, refresh_expires_in: 30 * 86_400 })
		return new Response(JSON.stringify(body), { headers: { 'content-type': 'application/json' } })
	}
	return {
		fetch,
		attempts,
		down: () => {
			down = true
		},
		up: () => {
			down = false
		},
	}
}

function manager(fetch: FetchLike, overrides: Partial<TokenManagerOptions> = {}) {
	const events: TokenWardenEvent[] = []
	const tokens = createTokenManager({
		tokenUrl: TOKEN_URL,
		clientId: CLIENT_ID,
		clientSecret: CLIENT_SECRET,
		fetch,
		random: () => 0.5,
		onEvent: (event) => events.push(event),
		...overrides,
	} as TokenManagerOptions)
	return { tokens, events }
}

/** `callers` getToken calls; how many of them were not answered at once (had to wait for a token request), and any that failed. */
async function burstOfCalls(tokens: ReturnType<typeof manager>['tokens'], callers: number) {
	let waited = 0
	let failed = 0
	const calls = Array.from({ length: callers }, () => {
		let settled = false
		const call = tokens.getToken().then(
			(token) => {
				settled = true
				if (token.expiresAt <= Date.now()) failed++
			},
			() => {
				settled = true
				failed++
			},
		)
		return { call, settled: () => settled }
	})
	await Promise.resolve()
	await Promise.resolve()
	for (const call of calls) if (!call.settled()) waited++
	return { waited, failed, done: Promise.all(calls.map((call) => call.call)) }
}

describe('short tokens (issue 18)', () => {
	it('2 s tokens under continuous callers: at most 7 token requests in 5 lifetimes, no caller waits after the first, none fails', async () => {
		const endpoint = countingEndpoint(2)
		const { tokens, events } = manager(endpoint.fetch)
		let waited = 0
		let failed = 0
		const first = await burstOfCalls(tokens, 5)
		await vi.advanceTimersByTimeAsync(10)
		await flush()
		await first.done
		for (let elapsed = 0; elapsed < 10_000; elapsed += 20) {
			const calls = await burstOfCalls(tokens, 5)
			waited += calls.waited
			failed += calls.failed
			await vi.advanceTimersByTimeAsync(20)
			await flush(2)
		}
		expect(endpoint.attempts.length).toBeLessThanOrEqual(7)
		expect(endpoint.attempts.length).toBeGreaterThanOrEqual(6)
		expect(waited).toBe(0)
		expect(failed).toBe(0)
		expect(events.filter((event) => event.type === 'token-error')).toEqual([])
	})

	it('a lifetime of 300 s keeps the documented defaults exactly: refresh 60 s ahead, retire 10 s ahead', async () => {
		const endpoint = countingEndpoint(300)
		const { tokens } = manager(endpoint.fetch)
		const first = tokens.getToken()
		await vi.advanceTimersByTimeAsync(10)
		expect((await first).accessToken).toBe('at-1')
		vi.setSystemTime(T0 + 10 + 239_000)
		await tokens.getToken()
		await vi.advanceTimersByTimeAsync(0)
		expect(endpoint.attempts).toHaveLength(1)
		vi.setSystemTime(T0 + 10 + 240_001)
		expect((await tokens.getToken()).accessToken).toBe('at-1')
		await vi.advanceTimersByTimeAsync(10)
		await flush()
		expect(endpoint.attempts).toHaveLength(2)
	})
})

describe('token endpoint outage (issue 18)', () => {
	it('3 s of 503 under continuous load: at most 10 attempts into the dead endpoint, and a token within 1 s of recovery', async () => {
		const endpoint = countingEndpoint(2)
		// The library's default retry policy (2 retries from 250 ms), not the helpers' fast one.
		const { tokens } = manager(endpoint.fetch)
		const first = tokens.getToken()
		await vi.advanceTimersByTimeAsync(10)
		await first
		endpoint.down()
		const outageStart = Date.now()
		const pending: Promise<unknown>[] = []
		let recoveredAt = 0
		let firstSuccessAfterRecovery = 0
		for (let elapsed = 0; elapsed < 6_000; elapsed += 20) {
			if (recoveredAt === 0 && Date.now() - outageStart >= 3_000) {
				endpoint.up()
				recoveredAt = Date.now()
			}
			for (let caller = 0; caller < 20; caller++) {
				pending.push(
					tokens.getToken().then(
						() => {
							if (recoveredAt > 0 && firstSuccessAfterRecovery === 0) firstSuccessAfterRecovery = Date.now()
						},
						() => {},
					),
				)
			}
			await vi.advanceTimersByTimeAsync(20)
			await flush(2)
		}
		await Promise.all(pending)
		const dead = endpoint.attempts.filter((attempt) => !attempt.ok)
		expect(dead.length).toBeGreaterThan(0)
		expect(dead.length).toBeLessThanOrEqual(10)
		expect(firstSuccessAfterRecovery).toBeGreaterThan(0)
		expect(firstSuccessAfterRecovery - recoveredAt).toBeLessThanOrEqual(1_000)
	})

	it('an OAuth error is an answer, not an outage: the next caller asks again at once', async () => {
		let calls = 0
		const fetch: FetchLike = async () => {
			calls++
			return new Response(JSON.stringify({ error: 'invalid_client' }), { status: 401, headers: { 'content-type': 'application/json' } })
		}
		const { tokens } = manager(fetch)
		await expect(tokens.getToken()).rejects.toMatchObject({ code: 'OAUTH_ERROR' })
		await expect(tokens.getToken()).rejects.toMatchObject({ code: 'OAUTH_ERROR' })
		expect(calls).toBe(2)
	})
})

describe('refresh spreading (issue 19)', () => {
	/** A deterministic random source (a linear congruential generator). */
	function seeded(seed: number): () => number {
		let state = seed
		return () => {
			state = (state * 1_103_515_245 + 12_345) % 2 ** 31
			return state / 2 ** 31
		}
	}

	async function refreshesPerSecond(random: () => number) {
		vi.setSystemTime(T0)
		const endpoint = countingEndpoint(300, 1)
		const { tokens, events } = manager(endpoint.fetch, { random })
		const scopes = Array.from({ length: 50 }, (_, index) => `scope-${index}`)
		let done = false
		const issued = Promise.all(scopes.map((scope) => tokens.getToken({ scope }))).finally(() => {
			done = true
		})
		for (let i = 0; i < 100 && !done; i++) {
			await vi.advanceTimersByTimeAsync(1)
			await flush(2)
		}
		await issued
		const perSecond: number[] = []
		for (let second = 230; second <= 300; second++) {
			vi.setSystemTime(T0 + second * 1000)
			const before = endpoint.attempts.length
			for (const scope of scopes) await tokens.getToken({ scope })
			for (let i = 0; i < 20; i++) {
				await vi.advanceTimersByTimeAsync(1)
				await flush(2)
			}
			perSecond.push(endpoint.attempts.length - before)
		}
		return { perSecond, total: endpoint.attempts.length, errors: events.filter((event) => event.type === 'token-error' || event.type === 'refresh-error') }
	}

	it('50 keys issued in one burst refresh across the window, not in one second, all before they retire', async () => {
		const { perSecond, total, errors } = await refreshesPerSecond(seeded(42))
		// 50 issued + 50 refreshed; the refreshes start in the window (240 s .. 265 s of a 300 s token).
		expect(total).toBe(100)
		expect(Math.max(...perSecond)).toBeLessThanOrEqual(12)
		expect(perSecond.slice(0, 10).every((count) => count === 0)).toBe(true)
		expect(perSecond.slice(36).every((count) => count === 0)).toBe(true)
		expect(errors).toEqual([])
	})

	it('is deterministic for a given random source', async () => {
		const a = await refreshesPerSecond(seeded(7))
		const b = await refreshesPerSecond(seeded(7))
		expect(a.perSecond).toEqual(b.perSecond)
	})
})

/** A store that counts reads, over a memory store. */
function countingStore(): TokenStore & { reads: () => number; entries: () => number } {
	const inner = memoryStore()
	const keys = new Set<string>()
	let reads = 0
	return {
		get: (key) => {
			reads++
			return inner.get(key)
		},
		set: (key, value: StoredTokenSet, options) => {
			keys.add(key)
			return inner.set(key, value, options)
		},
		delete: (key) => inner.delete(key),
		compareAndDelete: (key, token) => inner.compareAndDelete(key, token),
		reads: () => reads,
		entries: () => keys.size,
	}
}

describe('idle sweep (issue 19)', () => {
	it('a key unused for 10 minutes leaves process memory but its token stays in the store: the next call reads the store, no token request', async () => {
		const endpoint = countingEndpoint(3600, 0)
		const store = countingStore()
		const { tokens } = manager(endpoint.fetch, { store })
		const idle = tokens.getToken({ scope: 'idle' })
		await vi.advanceTimersByTimeAsync(0)
		await idle
		const readsBefore = store.reads()
		await tokens.getToken({ scope: 'idle' })
		expect(store.reads()).toBe(readsBefore)
		// 11 minutes later another key's token arrives: the sweep runs on that cold path.
		vi.setSystemTime(T0 + 11 * 60_000)
		const other = tokens.getToken({ scope: 'busy' })
		await vi.advanceTimersByTimeAsync(0)
		await other
		const readsAfterSweep = store.reads()
		expect((await tokens.getToken({ scope: 'idle' })).accessToken).toBe('at-1')
		expect(store.reads()).toBeGreaterThan(readsAfterSweep)
		expect(endpoint.attempts).toHaveLength(2)
	})

	it('a key in use is never swept', async () => {
		const endpoint = countingEndpoint(3600, 0)
		const store = countingStore()
		const { tokens } = manager(endpoint.fetch, { store })
		const used = tokens.getToken({ scope: 'used' })
		await vi.advanceTimersByTimeAsync(0)
		await used
		for (let minute = 1; minute <= 30; minute++) {
			vi.setSystemTime(T0 + minute * 60_000)
			await tokens.getToken({ scope: 'used' })
			const other = tokens.getToken({ scope: `other-${minute}` })
			await vi.advanceTimersByTimeAsync(0)
			await other
		}
		const reads = store.reads()
		await tokens.getToken({ scope: 'used' })
		expect(store.reads()).toBe(reads)
	})
})

describe('clear() (issue 19)', () => {
	it('drops every cached token and the default memory store: the next call requests a new token', async () => {
		const endpoint = countingEndpoint(3600, 0)
		const { tokens } = manager(endpoint.fetch)
		const first = tokens.getToken()
		await vi.advanceTimersByTimeAsync(0)
		expect((await first).accessToken).toBe('at-1')
		await tokens.clear()
		const second = tokens.getToken()
		await vi.advanceTimersByTimeAsync(0)
		expect((await second).accessToken).toBe('at-2')
		expect(endpoint.attempts).toHaveLength(2)
	})

	it('leaves a shared store alone: the next call finds the token there', async () => {
		const endpoint = countingEndpoint(3600, 0)
		const store = countingStore()
		const { tokens } = manager(endpoint.fetch, { store })
		const first = tokens.getToken()
		await vi.advanceTimersByTimeAsync(0)
		await first
		await tokens.clear()
		expect((await tokens.getToken()).accessToken).toBe('at-1')
		expect(endpoint.attempts).toHaveLength(1)
	})

	it('forgets an in-flight request and stops its retries; a call after clear starts afresh', async () => {
		const endpoint = countingEndpoint(3600, 0)
		endpoint.down()
		const { tokens } = manager(endpoint.fetch)
		const stuck = tokens.getToken().catch((error: unknown) => error)
		await vi.advanceTimersByTimeAsync(0)
		expect(endpoint.attempts).toHaveLength(1)
		await tokens.clear()
		endpoint.up()
		const fresh = tokens.getToken()
		await vi.advanceTimersByTimeAsync(0)
		expect((await fresh).accessToken).toBe('at-1')
		await vi.advanceTimersByTimeAsync(5_000)
		expect(await stuck).toMatchObject({ code: 'ABORTED' })
		// The old flight made no further attempt after clear().
		expect(endpoint.attempts).toHaveLength(2)
	})

	it('cancels consent-expiry reminders', async () => {
		const endpoint = countingEndpoint(300, 0)
		const { tokens, events } = manager(endpoint.fetch, { authorizeUrl: `${TOKEN_URL}/authorize`, redirectUri: 'https://app.example.com/cb', consentWarning: 86_400_000 })
		const { state } = await tokens.authorizationUrl()
		const exchanged = tokens.exchangeCode({ code: 'code', state, expectedState: state, redirectUri: 'https://app.example.com/cb', subject: 'account-1' })
		await vi.advanceTimersByTimeAsync(0)
		await exchanged
		await tokens.clear()
		await vi.advanceTimersByTimeAsync(30 * 86_400_000)
		expect(events.filter((event) => event.type === 'consent-expiring')).toEqual([])
	})
})

import { describe, expect, it } from 'vitest'
import { createTokenManager, type Clock, type FetchLike, type TokenWardenEvent } from '@tokenwarden/core'
import { Schedule } from '../src/schedule.ts'

/** A manual clock: timers run when `advance` passes them; counts the timers alive. */
function manualClock(start = 1_000_000) {
	let now = start
	let nextId = 0
	const timers = new Map<number, { at: number; callback: () => void }>()
	const clock: Clock = {
		now: () => now,
		setTimeout: (callback, ms) => {
			const id = ++nextId
			timers.set(id, { at: now + ms, callback })
			return id
		},
		clearTimeout: (handle) => {
			timers.delete(handle as number)
		},
	}
	return {
		clock,
		alive: () => timers.size,
		created: () => nextId,
		advance(ms: number) {
			const until = now + ms
			for (;;) {
				const due = [...timers.entries()].filter(([, timer]) => timer.at <= until).sort((a, b) => a[1].at - b[1].at)[0]
				if (due === undefined) break
				timers.delete(due[0])
				now = Math.max(now, due[1].at)
				due[1].callback()
			}
			now = until
		},
	}
}

describe('Schedule', () => {
	it('fires items in time order on one timer', () => {
		const time = manualClock()
		const fired: string[] = []
		const schedule = new Schedule<string, number>(time.clock, (key) => fired.push(key))
		for (const [key, offset] of [
			['c', 300],
			['a', 100],
			['d', 400],
			['b', 200],
		] as const)
			schedule.set(key, 1_000_000 + offset, offset)
		expect(schedule.size).toBe(4)
		expect(time.alive()).toBe(1)
		time.advance(250)
		expect(fired).toEqual(['a', 'b'])
		time.advance(1_000)
		expect(fired).toEqual(['a', 'b', 'c', 'd'])
		expect(schedule.size).toBe(0)
		expect(time.alive()).toBe(0)
	})

	it('setting a key again moves its item; deleting it cancels it', () => {
		const time = manualClock()
		const fired: [string, number][] = []
		const schedule = new Schedule<string, number>(time.clock, (key, value) => fired.push([key, value]))
		schedule.set('a', 1_000_100, 1)
		schedule.set('a', 1_000_300, 2)
		schedule.set('b', 1_000_200, 3)
		schedule.delete('b')
		expect(schedule.dueAt('a')).toBe(1_000_300)
		time.advance(1_000)
		expect(fired).toEqual([['a', 2]])
	})

	it('rescheduling many times keeps the heap bounded (compaction) and the order right', () => {
		const time = manualClock()
		const fired: number[] = []
		const schedule = new Schedule<number, number>(time.clock, (key) => fired.push(key))
		for (let round = 0; round < 50; round++) for (let key = 0; key < 100; key++) schedule.set(key, 1_000_000 + 10_000 + key * 10 + round, key)
		expect(schedule.size).toBe(100)
		expect(time.alive()).toBe(1)
		time.advance(100_000)
		expect(fired).toEqual(Array.from({ length: 100 }, (_, key) => key))
	})

	it('an item further than a timer can wait re-arms until it is due', () => {
		const time = manualClock()
		const fired: string[] = []
		const schedule = new Schedule<string, number>(time.clock, (key) => fired.push(key))
		schedule.set('far', 1_000_000 + 40 * 86_400_000, 0)
		time.advance(2 ** 31 - 1)
		expect(fired).toEqual([])
		expect(time.alive()).toBe(1)
		time.advance(40 * 86_400_000)
		expect(fired).toEqual(['far'])
	})

	it('a throwing handler does not cost the other items theirs; clear stops everything', () => {
		const time = manualClock()
		const fired: string[] = []
		const schedule = new Schedule<string, number>(time.clock, (key) => {
			fired.push(key)
			if (key === 'a') throw new Error('listener broke')
		})
		schedule.set('a', 1_000_001, 0)
		schedule.set('b', 1_000_001, 0)
		schedule.set('c', 1_000_500, 0)
		time.advance(10)
		expect(fired.sort()).toEqual(['a', 'b'])
		schedule.clear()
		expect(time.alive()).toBe(0)
		time.advance(1_000)
		expect(fired).toHaveLength(2)
	})
})

describe('consent-expiry reminders of many holders (issue 19)', () => {
	it('1,000 holders: one timer for all their reminders, each reminder once, in order', async () => {
		const time = manualClock(Date.parse('2026-03-01T12:00:00Z'))
		let issued = 0
		const fetch: FetchLike = async () => {
			issued++
			// Each holder's refresh token lapses a minute later than the previous one's.
			const body = { access_token: `at-${issued}`, token_type: 'Bearer', expires_in: 300, refresh_token: `rt-${issued}`, refresh_expires_in: 10 * 86_400 + issued * 60 }
			return new Response(JSON.stringify(body), { headers: { 'content-type': 'application/json' } })
		}
		const events: TokenWardenEvent[] = []
		const tokens = createTokenManager({
			tokenUrl: 'https://auth.example.com/oauth/token',
			clientId: 'client-1',
			clientSecret: 'secret',
			authorizeUrl: 'https://auth.example.com/oauth/authorize',
			redirectUri: 'https://app.example.com/cb',
			consentWarning: 86_400_000,
			fetch,
			clock: time.clock,
			onEvent: (event) => events.push(event),
		})
		for (let holder = 1; holder <= 1_000; holder++) {
			const { state } = await tokens.authorizationUrl()
			await tokens.exchangeCode({ code: `code-${holder}`, state, expectedState: state, subject: `holder-${holder}` })
		}
		// Request timeouts are cleared as each request ends: what is left is the reminders' one timer.
		expect(time.alive()).toBe(1)
		time.advance(9 * 86_400_000 + 500 * 60_000)
		const reminded = events.filter((event) => event.type === 'consent-expiring').map((event) => (event as { subject: string }).subject)
		expect(reminded).toHaveLength(500)
		time.advance(86_400_000)
		const all = events.filter((event) => event.type === 'consent-expiring').map((event) => (event as { subject: string }).subject)
		expect(all).toEqual(Array.from({ length: 1_000 }, (_, index) => `holder-${index + 1}`))
		expect(time.alive()).toBe(0)
	})
})

import nock from 'nock'
import { describe, expect, it, vi } from 'vitest'
import { InvalidTokenResponseError, type TokenEvent } from '@tokenwarden/core'
import { ISSUER, jwt, setup, TOKEN_PATH, tokenReplies, useFakeTime, useNock } from './helpers.ts'

useNock()

const T0 = Date.parse('2026-01-01T00:00:00Z')

useFakeTime(T0)

function tokenEvent(events: unknown[]): TokenEvent {
	return events.find((event) => (event as TokenEvent).type === 'token') as TokenEvent
}

describe('expiry', () => {
	it('takes expiry from a JWT exp claim over expires_in', async () => {
		const exp = T0 / 1000 + 600
		nock(ISSUER)
			.post(TOKEN_PATH)
			.reply(200, { access_token: jwt({ exp }), token_type: 'Bearer', expires_in: 86_400 })
		const { tokens, events } = setup()
		const token = await tokens.getToken()
		expect(token.expiresAt).toBe(exp * 1000)
		expect(tokenEvent(events)).toMatchObject({ expirySource: 'jwt-exp', expiresAt: exp * 1000 })
	})

	it('corrects a JWT exp for the issuer clock difference, from the Date header', async () => {
		// The issuer's clock is 2 minutes ahead of ours: its exp is 2 minutes "late" on our clock.
		const issuerNow = T0 + 120_000
		const exp = issuerNow / 1000 + 300
		nock(ISSUER)
			.post(TOKEN_PATH)
			.reply(200, { access_token: jwt({ exp, iat: issuerNow / 1000 }), token_type: 'Bearer' }, { Date: new Date(issuerNow).toUTCString() })
		const { tokens, events } = setup()
		const token = await tokens.getToken()
		// The header's whole second is read as its last millisecond: never later than the truth.
		expect(token.expiresAt).toBe(T0 + 300_000 - 999)
		expect(tokenEvent(events).clockSkew).toBe(-120_999)
	})

	it('does not mistake the Date header truncated to whole seconds for clock skew', async () => {
		vi.setSystemTime(T0 + 700)
		nock(ISSUER)
			.post(TOKEN_PATH)
			.reply(200, { access_token: 'opaque', token_type: 'Bearer', expires_in: 300 }, { Date: new Date(T0).toUTCString() })
		const { tokens, events } = setup()
		expect((await tokens.getToken()).expiresAt).toBe(T0 + 700 + 300_000)
		expect(tokenEvent(events).clockSkew).toBe(0)
	})

	it('corrects from iat when there is no Date header, but only towards earlier expiry', async () => {
		const ahead = T0 + 60_000
		nock(ISSUER)
			.post(TOKEN_PATH)
			.reply(200, { access_token: jwt({ exp: ahead / 1000 + 300, iat: ahead / 1000 }), token_type: 'Bearer' })
		// A token issued 10 minutes ago by a server with a correct clock (reused token): no correction.
		nock(ISSUER)
			.post(TOKEN_PATH)
			.reply(200, { access_token: jwt({ exp: T0 / 1000 + 300, iat: T0 / 1000 - 600, sub: 'b' }), token_type: 'Bearer' })
		const { tokens } = setup()
		expect((await tokens.getToken()).expiresAt).toBe(T0 + 300_000)
		expect((await tokens.getToken({ scope: 'other' })).expiresAt).toBe(T0 + 300_000)
	})

	it.each([
		['a number of seconds', 420, T0 + 420_000],
		['a numeric string', '300', T0 + 300_000],
		['an ISO-8601 timestamp', new Date(T0 + 3_600_000).toISOString(), T0 + 3_600_000],
	])('reads expires_in as %s', async (_label, expiresIn, expected) => {
		nock(ISSUER).post(TOKEN_PATH).reply(200, { access_token: 'opaque', token_type: 'Bearer', expires_in: expiresIn })
		const { tokens, events } = setup()
		expect((await tokens.getToken()).expiresAt).toBe(expected)
		expect(tokenEvent(events).expirySource).toBe('expires_in')
	})

	it('corrects an ISO-8601 expires_in with the Date header', async () => {
		const issuerNow = T0 - 30_000
		nock(ISSUER)
			.post(TOKEN_PATH)
			.reply(200, { access_token: 'opaque', token_type: 'Bearer', expires_in: new Date(issuerNow + 3_600_000).toISOString() }, { Date: new Date(issuerNow).toUTCString() })
		const { tokens } = setup()
		expect((await tokens.getToken()).expiresAt).toBe(T0 + 3_600_000 - 999)
	})

	it('falls back to defaultLifetime', async () => {
		nock(ISSUER).post(TOKEN_PATH).reply(200, { access_token: 'opaque', token_type: 'Bearer' })
		const { tokens, events } = setup({ defaultLifetime: 120_000 })
		expect((await tokens.getToken()).expiresAt).toBe(T0 + 120_000)
		expect(tokenEvent(events).expirySource).toBe('default')
	})

	it.each([
		['a JWT that expired before it arrived', { access_token: jwt({ exp: T0 / 1000 - 5 }), token_type: 'Bearer' }, 'expired_on_arrival'],
		['an ISO expires_in in the past', { access_token: 'x', token_type: 'Bearer', expires_in: new Date(T0 - 1000).toISOString() }, 'expired_on_arrival'],
		['expires_in of 0', { access_token: 'x', token_type: 'Bearer', expires_in: 0 }, 'invalid_expires_in'],
		['a negative expires_in', { access_token: 'x', token_type: 'Bearer', expires_in: -60 }, 'invalid_expires_in'],
		['an absurd expires_in (ten years)', { access_token: 'x', token_type: 'Bearer', expires_in: 315_360_000 }, 'invalid_expires_in'],
		['a word as expires_in', { access_token: 'x', token_type: 'Bearer', expires_in: 'soon' }, 'invalid_expires_in'],
	])('rejects %s with InvalidTokenResponseError', async (_label, response, reason) => {
		nock(ISSUER).post(TOKEN_PATH).reply(200, response)
		const { tokens } = setup()
		const error = await tokens.getToken().catch((caught: unknown) => caught)
		expect(error).toBeInstanceOf(InvalidTokenResponseError)
		expect(error).toMatchObject({ code: 'INVALID_TOKEN_RESPONSE', reason })
	})

	it('never hands out a token within expiryMargin of its expiry', async () => {
		const replies = tokenReplies(300)
		nock(ISSUER).post(TOKEN_PATH).times(2).reply(replies.reply)
		const { tokens } = setup({ expiryMargin: 10_000, refreshAhead: 0 })
		expect((await tokens.getToken()).accessToken).toBe('at-1')
		vi.setSystemTime(T0 + 289_999)
		expect((await tokens.getToken()).accessToken).toBe('at-1')
		vi.setSystemTime(T0 + 290_000)
		expect((await tokens.getToken()).accessToken).toBe('at-2')
		expect(replies.count()).toBe(2)
	})

	it('honours a large expiryMargin and refreshAhead exactly when the lifetime allows it', async () => {
		const replies = tokenReplies(60)
		nock(ISSUER).post(TOKEN_PATH).times(3).reply(replies.reply)
		const { tokens, events } = setup({ expiryMargin: 30_000, refreshAhead: 50_000 })
		expect((await tokens.getToken()).accessToken).toBe('at-1')
		vi.setSystemTime(T0 + 9_999)
		await tokens.getToken()
		expect(replies.count()).toBe(1)
		// 45 s left: inside refreshAhead (50 s): served at once, one background refresh.
		vi.setSystemTime(T0 + 15_000)
		expect((await tokens.getToken()).accessToken).toBe('at-1')
		await vi.waitFor(() => expect(events.filter((event) => event.type === 'token')).toHaveLength(2))
		// at-2 lives 60 s from about 15 s: with 30 s of margin it is handed out until about 45 s, never after.
		vi.setSystemTime(T0 + 44_000)
		expect((await tokens.getToken()).accessToken).toBe('at-2')
		vi.setSystemTime(T0 + 46_000)
		expect((await tokens.getToken()).accessToken).toBe('at-3')
	})

	it('caps the margin and refresh-ahead for short-lived tokens instead of refusing or refreshing them constantly', async () => {
		const replies = tokenReplies(20)
		nock(ISSUER).post(TOKEN_PATH).times(3).reply(replies.reply)
		const { tokens } = setup({ expiryMargin: 60_000, refreshAhead: 60_000 })
		expect((await tokens.getToken()).accessToken).toBe('at-1')
		// Margin capped at a quarter (5 s), refresh-ahead at half (10 s) of the 20 s lifetime.
		vi.setSystemTime(T0 + 9_000)
		await tokens.getToken()
		await vi.advanceTimersByTimeAsync(0)
		expect(replies.count()).toBe(1)
	})
})

describe('refresh ahead', () => {
	it('serves the cached token at once and refreshes once in the background', async () => {
		const replies = tokenReplies(300)
		nock(ISSUER).post(TOKEN_PATH).times(3).reply(replies.reply)
		const { tokens, events } = setup({ refreshAhead: 60_000, expiryMargin: 10_000 })
		expect((await tokens.getToken()).accessToken).toBe('at-1')
		vi.setSystemTime(T0 + 239_000)
		await tokens.getToken()
		vi.setSystemTime(T0 + 250_000)
		const during = await Promise.all(Array.from({ length: 100 }, () => tokens.getToken()))
		expect(during.every((token) => token.accessToken === 'at-1')).toBe(true)
		await vi.waitFor(() => expect(events.filter((event) => event.type === 'token')).toHaveLength(2))
		expect(replies.count()).toBe(2)
		expect((await tokens.getToken()).accessToken).toBe('at-2')
	})

	it('keeps serving the still-valid token when the background refresh fails, and reports it', async () => {
		const replies = tokenReplies(300)
		nock(ISSUER).post(TOKEN_PATH).reply(replies.reply)
		nock(ISSUER).post(TOKEN_PATH).reply(400, { error: 'invalid_client' })
		const { tokens, events } = setup({ refreshAhead: 60_000 })
		await tokens.getToken()
		vi.setSystemTime(T0 + 250_000)
		expect((await tokens.getToken()).accessToken).toBe('at-1')
		await vi.advanceTimersByTimeAsync(10)
		expect(events.find((event) => event.type === 'refresh-error')).toMatchObject({ type: 'refresh-error', error: { error: 'invalid_client' } })
		// Still served, and no new attempt before the cooldown.
		expect((await tokens.getToken()).accessToken).toBe('at-1')
		expect(nock.pendingMocks()).toEqual([])
	})
})

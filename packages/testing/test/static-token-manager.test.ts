import { inspect } from 'node:util'
import nock from 'nock'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { AbortError, ConsentRequiredError, StateMismatchError, type TokenManager } from '@tokenwarden/core'
import { staticTokenManager } from '@tokenwarden/testing'
import { useNock } from './helpers.ts'

useNock()

const T0 = Date.parse('2026-03-01T12:00:00Z')
const API = 'https://api.example.com'

beforeEach(() => {
	vi.useFakeTimers({ toFake: ['Date'] })
	vi.setSystemTime(T0)
})
afterEach(() => {
	vi.useRealTimers()
})

/** The kind of client a team tests: one retry with a fresh token after a 401 (RFC 6750 §3.1). */
async function getBalance(tokens: Pick<TokenManager, 'getToken' | 'invalidate'>): Promise<number> {
	for (let attempt = 1; ; attempt++) {
		const token = await tokens.getToken({ scope: 'saldo.read' })
		const response = await fetch(`${API}/balance`, { headers: { authorization: `${token.tokenType} ${token.accessToken}` } })
		if (response.status === 401 && attempt === 1) {
			await tokens.invalidate(token)
			continue
		}
		if (!response.ok) throw new Error(`HTTP ${response.status}`)
		return ((await response.json()) as { balance: number }).balance
	}
}

describe('staticTokenManager', () => {
	it('hands out a fixed token shaped like the real manager’s', async () => {
		const tokens = staticTokenManager('token-1')
		const token = await tokens.getToken()
		expect(token).toMatchObject({ accessToken: 'token-1', tokenType: 'Bearer', expiresAt: T0 + 60 * 60 * 1000, scope: [] })
		expect(await tokens.getToken()).toBe(token)
		expect(tokens.current).toBe(token)
		expect(Object.isFrozen(token)).toBe(true)
	})

	it('masks the token like core does: inspect, JSON and the calls record', async () => {
		const tokens = staticTokenManager({ accessToken: 'very-secret-token', scope: 'a b' })
		const token = await tokens.getToken()
		await tokens.invalidate(token)
		expect(inspect(token)).not.toContain('very-secret-token')
		expect(JSON.stringify(token)).not.toContain('very-secret-token')
		expect(JSON.stringify(token)).toContain('[redacted]')
		expect(inspect(tokens.calls, { depth: 5 })).not.toContain('very-secret-token')
	})

	it('takes token fields, and echoes the scope and subject asked for when the token names no scope', async () => {
		const fixed = staticTokenManager({ accessToken: 't', tokenType: 'DPoP', expiresAt: T0 + 5000, scope: ['b', 'a'] })
		expect(await fixed.getToken({ scope: 'x' })).toMatchObject({ tokenType: 'DPoP', expiresAt: T0 + 5000, scope: ['a', 'b'] })
		const echo = staticTokenManager('t')
		const token = await echo.getToken({ scope: ' cob.write  cob.read', subject: 'account-42' })
		expect(token).toMatchObject({ scope: ['cob.read', 'cob.write'], subject: 'account-42' })
		expect(await echo.getToken({ scope: ['cob.read', 'cob.write'], subject: 'account-42' })).toBe(token)
	})

	it('records the arguments of every call, per method', async () => {
		const tokens = staticTokenManager('t')
		const signal = new AbortController().signal
		await tokens.getToken()
		await tokens.getToken({ scope: 'a', signal })
		await tokens.invalidate('other')
		expect(tokens.calls.getToken).toEqual([[], [{ scope: 'a', signal }]])
		expect(tokens.calls.invalidate).toEqual([['other']])
		expect(tokens.calls.exchangeCode).toEqual([])
		tokens.resetCalls()
		expect(tokens.calls.getToken).toEqual([])
	})

	it('moves on to the next token when the current one is invalidated (compare-and-delete), and keeps the last', async () => {
		const tokens = staticTokenManager(['stale', 'fresh'])
		const stale = await tokens.getToken()
		expect(stale.accessToken).toBe('stale')
		expect(await tokens.invalidate('not-current')).toBe(false)
		expect((await tokens.getToken()).accessToken).toBe('stale')
		expect(await tokens.invalidate(stale)).toBe(true)
		expect(await tokens.invalidate(stale)).toBe(false)
		expect((await tokens.getToken()).accessToken).toBe('fresh')
		expect(await tokens.invalidate('fresh')).toBe(true)
		expect((await tokens.getToken()).accessToken).toBe('fresh')
	})

	it('moves on with forceRefresh', async () => {
		const tokens = staticTokenManager(['one', 'two'])
		expect((await tokens.getToken({ forceRefresh: true })).accessToken).toBe('two')
	})

	it('lets a test assert that its client retried once after a 401, with no token endpoint', async () => {
		const api = nock(API)
			.get('/balance')
			.matchHeader('authorization', 'Bearer stale')
			.reply(401, { error: 'invalid_token' })
			.get('/balance')
			.matchHeader('authorization', 'Bearer fresh')
			.reply(200, { balance: 42 })
		const tokens = staticTokenManager(['stale', 'fresh'])
		expect(await getBalance(tokens)).toBe(42)
		expect(tokens.calls.getToken).toEqual([[{ scope: 'saldo.read' }], [{ scope: 'saldo.read' }]])
		expect(tokens.calls.invalidate).toHaveLength(1)
		expect(tokens.calls.invalidate[0]?.[0]).toMatchObject({ accessToken: 'stale' })
		api.done()
	})

	it('throws scripted errors: failNext in order, then options.error for every call', async () => {
		const consent = new ConsentRequiredError('account-42', 'invalid_grant')
		const tokens = staticTokenManager('t')
		tokens.failNext(new Error('first'), 2)
		tokens.failNext(consent)
		await expect(tokens.getToken()).rejects.toThrow('first')
		await expect(tokens.getToken()).rejects.toThrow('first')
		await expect(tokens.getToken()).rejects.toBe(consent)
		expect((await tokens.getToken()).accessToken).toBe('t')
		const down = staticTokenManager('t', { error: new Error('endpoint down') })
		await expect(down.getToken()).rejects.toThrow('endpoint down')
		await expect(down.getToken()).rejects.toThrow('endpoint down')
		expect(down.calls.getToken).toHaveLength(2)
	})

	it('rejects an already aborted caller with AbortError, like the real manager', async () => {
		const controller = new AbortController()
		controller.abort()
		await expect(staticTokenManager('t').getToken({ signal: controller.signal })).rejects.toBeInstanceOf(AbortError)
	})

	it('plays the consent flow: authorization URL, state check, consent, revoke and logout', async () => {
		const tokens = staticTokenManager('holder-token', { consented: ['account-1'] })
		const { url, state, codeVerifier } = await tokens.authorizationUrl({ scope: 'saldo.read', pkce: true })
		const parsed = new URL(url)
		expect(parsed.origin + parsed.pathname).toBe('https://auth.invalid/authorize')
		expect(parsed.searchParams.get('state')).toBe(state)
		expect(parsed.searchParams.get('code_challenge_method')).toBe('S256')
		expect(codeVerifier).toBeTypeOf('string')
		await expect(tokens.exchangeCode({ code: 'c', state: 'forged', expectedState: state, subject: 'account-42' })).rejects.toBeInstanceOf(StateMismatchError)
		const token = await tokens.exchangeCode({ code: 'c', state, expectedState: state, codeVerifier, subject: 'account-42' })
		expect(token).toMatchObject({ accessToken: 'holder-token', subject: 'account-42' })
		expect(await tokens.consent({ subject: 'account-42' })).toEqual({ subject: 'account-42', scope: [], refreshExpiresAt: undefined })
		expect(await tokens.consent({ subject: 'account-1' })).toMatchObject({ subject: 'account-1' })
		await tokens.revoke({ subject: 'account-42' })
		await tokens.logout({ subject: 'account-1' })
		expect(await tokens.consent({ subject: 'account-42' })).toBeUndefined()
		expect(await tokens.consent({ subject: 'account-1' })).toBeUndefined()
		expect(tokens.calls.revoke).toEqual([[{ subject: 'account-42' }]])
		expect(tokens.calls.logout).toEqual([[{ subject: 'account-1' }]])
		await expect(tokens.consent({ subject: '' })).rejects.toThrowError(/^tokenwarden: consent needs a subject/)
	})

	it('clear() puts a manager shared by several tests back to how it was created', async () => {
		const tokens = staticTokenManager(['first', 'second'], { consented: ['account-1'] })
		await tokens.invalidate(await tokens.getToken())
		tokens.failNext(new Error('scripted'))
		await tokens.logout({ subject: 'account-1' })
		const { clear } = tokens
		await clear()
		expect(tokens.calls.getToken).toEqual([])
		expect(tokens.calls.invalidate).toEqual([])
		expect((await tokens.getToken()).accessToken).toBe('first')
		expect(await tokens.consent({ subject: 'account-1' })).toMatchObject({ subject: 'account-1' })
	})

	it('checks its arguments with TypeErrors', async () => {
		expect(() => staticTokenManager('')).toThrowError(/^tokenwarden: staticTokenManager token 1/)
		expect(() => staticTokenManager([])).toThrowError(/at least one token/)
		expect(() => staticTokenManager(['a', { accessToken: 'b', expiresAt: Number.NaN }])).toThrowError(/token 2 expiresAt/)
		expect(() => staticTokenManager('a', { error: 'boom' as never })).toThrowError(TypeError)
		const tokens = staticTokenManager('a')
		expect(() => tokens.failNext('boom' as never)).toThrowError(TypeError)
		expect(() => tokens.failNext(new Error('x'), 0)).toThrowError(TypeError)
		await expect(tokens.invalidate(undefined as never)).rejects.toThrowError(TypeError)
	})
})

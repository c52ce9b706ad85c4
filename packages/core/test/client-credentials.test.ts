import nock from 'nock'
import { describe, expect, it } from 'vitest'
import { createTokenManager, memoryStore } from '@tokenwarden/core'
import { CLIENT_ID, CLIENT_SECRET, ISSUER, recorder, setup, TOKEN_PATH, TOKEN_URL, tokenReplies, useNock } from './helpers.ts'

useNock()

describe('client credentials', () => {
	it('is lazy: creating a manager makes no request', async () => {
		const scope = nock(ISSUER).post(TOKEN_PATH).reply(200, { access_token: 'x', token_type: 'Bearer', expires_in: 60 })
		setup()
		await new Promise((resolve) => setTimeout(resolve, 20))
		expect(scope.isDone()).toBe(false)
	})

	it('sends client_secret_basic with form-urlencoded credentials, a form body and Accept: application/json', async () => {
		const endpoint = recorder(() => [200, { access_token: 'at-1', token_type: 'bearer', expires_in: 3600 }])
		nock(ISSUER).post(TOKEN_PATH).reply(endpoint.reply)
		const { tokens } = setup({ scope: ['cob.write', 'cob.read'] })
		const token = await tokens.getToken()
		expect(token.accessToken).toBe('at-1')
		expect(token.tokenType).toBe('Bearer')
		expect(token.scope).toEqual(['cob.read', 'cob.write'])
		const expected = `${encodeForm(CLIENT_ID)}:${encodeForm(CLIENT_SECRET)}`
		const [seen] = endpoint.seen
		expect(seen?.headers.get('authorization')).toBe(`Basic ${Buffer.from(expected).toString('base64')}`)
		// The secret has ':', '+', '&', ' ' and 'é': all must be encoded before base64.
		expect(expected).toContain('s3cr3t%3Awith%2Bspecial%26chars+%C3%A9')
		expect(seen?.headers.get('accept')).toBe('application/json')
		expect(seen?.headers.get('content-type')).toBe('application/x-www-form-urlencoded')
		expect(seen?.form).toEqual({ grant_type: 'client_credentials', scope: 'cob.read cob.write' })
	})

	it('sends client_secret_post credentials in the body, and no Authorization header', async () => {
		const endpoint = tokenReplies()
		nock(ISSUER).post(TOKEN_PATH).reply(endpoint.reply)
		const { tokens } = setup({ clientAuth: 'client_secret_post' })
		await tokens.getToken()
		expect(endpoint.seen[0]?.headers.get('authorization')).toBeNull()
		expect(endpoint.seen[0]?.form).toEqual({ grant_type: 'client_credentials', client_id: CLIENT_ID, client_secret: CLIENT_SECRET })
	})

	it('makes one token request for 1,000 concurrent getToken calls, and serves the cache afterwards', async () => {
		const replies = tokenReplies()
		nock(ISSUER).post(TOKEN_PATH).times(5).delay(20).reply(replies.reply)
		const { tokens } = setup()
		const results = await Promise.all(Array.from({ length: 1000 }, () => tokens.getToken()))
		expect(replies.count()).toBe(1)
		expect(new Set(results.map((token) => token.accessToken))).toEqual(new Set(['at-1']))
		await tokens.getToken()
		expect(replies.count()).toBe(1)
	})

	it('shares one error among concurrent waiters and does not cache it', async () => {
		nock(ISSUER).post(TOKEN_PATH).delay(10).reply(400, { error: 'invalid_scope' })
		const replies = tokenReplies()
		const { tokens } = setup()
		const results = await Promise.allSettled(Array.from({ length: 50 }, () => tokens.getToken()))
		expect(results.every((result) => result.status === 'rejected')).toBe(true)
		nock(ISSUER).post(TOKEN_PATH).reply(replies.reply)
		await expect(tokens.getToken()).resolves.toMatchObject({ accessToken: 'at-1' })
	})

	it('normalises scope: "a b", ["b","a"] and " a  b " share one cache entry; other scopes get their own', async () => {
		const replies = tokenReplies()
		nock(ISSUER).post(TOKEN_PATH).times(3).reply(replies.reply)
		const { tokens } = setup()
		const [a, b, c] = await Promise.all([tokens.getToken({ scope: 'a b' }), tokens.getToken({ scope: ['b', 'a'] }), tokens.getToken({ scope: ' a  b ' })])
		expect(a.accessToken).toBe(b.accessToken)
		expect(b.accessToken).toBe(c.accessToken)
		const other = await tokens.getToken({ scope: 'boleto.read' })
		expect(other.accessToken).not.toBe(a.accessToken)
		expect(replies.seen.map((seen) => seen.form.scope)).toEqual(['a b', 'boleto.read'])
		expect(replies.count()).toBe(2)
	})

	it('reports the granted scope, or the requested one when the server does not echo it', async () => {
		nock(ISSUER).post(TOKEN_PATH).reply(200, { access_token: 'x', token_type: 'Bearer', expires_in: 60, scope: 'all' })
		nock(ISSUER).post(TOKEN_PATH).reply(200, { access_token: 'y', token_type: 'Bearer', expires_in: 60 })
		const { tokens } = setup({ scope: 'cob.read' })
		expect((await tokens.getToken()).scope).toEqual(['all'])
		expect((await tokens.getToken({ scope: 'pix.read pix.write' })).scope).toEqual(['pix.read', 'pix.write'])
	})

	it('keeps managers for different clients apart in one shared store', async () => {
		const store = memoryStore()
		const replies = tokenReplies()
		nock(ISSUER).post(TOKEN_PATH).times(2).reply(replies.reply)
		const first = createTokenManager({ tokenUrl: TOKEN_URL, clientId: 'one', clientSecret: 'secret-one', store })
		const second = createTokenManager({ tokenUrl: TOKEN_URL, clientId: 'two', clientSecret: 'secret-two', store })
		const a = await first.getToken()
		const b = await second.getToken()
		expect(a.accessToken).not.toBe(b.accessToken)
		expect(replies.count()).toBe(2)
		expect(replies.seen[0]?.headers.get('authorization')).not.toBe(replies.seen[1]?.headers.get('authorization'))
	})

	it('picks up a token another manager of the same client put in the shared store', async () => {
		const store = memoryStore()
		const replies = tokenReplies()
		nock(ISSUER).post(TOKEN_PATH).times(2).reply(replies.reply)
		const options = { tokenUrl: TOKEN_URL, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, store }
		const a = await createTokenManager(options).getToken()
		const b = await createTokenManager(options).getToken()
		expect(b.accessToken).toBe(a.accessToken)
		expect(replies.count()).toBe(1)
	})

	it('passes tokenParams (audience, resource) in every token request', async () => {
		const replies = tokenReplies()
		nock(ISSUER).post(TOKEN_PATH).reply(replies.reply)
		await setup({ tokenParams: { audience: 'https://api.example.com' } }).tokens.getToken()
		expect(replies.seen[0]?.form).toEqual({ grant_type: 'client_credentials', audience: 'https://api.example.com' })
	})

	it('forceRefresh on a manager without a local copy asks the endpoint, not the shared store', async () => {
		const store = memoryStore()
		const replies = tokenReplies()
		nock(ISSUER).post(TOKEN_PATH).times(2).reply(replies.reply)
		const options = { tokenUrl: TOKEN_URL, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, store }
		const first = await createTokenManager(options).getToken()
		const forced = await createTokenManager(options).getToken({ forceRefresh: true })
		expect(forced.accessToken).not.toBe(first.accessToken)
		expect(replies.count()).toBe(2)
	})

	it('forceRefresh skips the cached token', async () => {
		const replies = tokenReplies()
		nock(ISSUER).post(TOKEN_PATH).times(2).reply(replies.reply)
		const { tokens } = setup()
		const first = await tokens.getToken()
		const second = await tokens.getToken({ forceRefresh: true })
		expect(second.accessToken).not.toBe(first.accessToken)
		expect((await tokens.getToken()).accessToken).toBe(second.accessToken)
	})
})

function encodeForm(value: string): string {
	return new URLSearchParams({ v: value }).toString().slice(2)
}

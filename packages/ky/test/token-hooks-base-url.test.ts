import ky from 'ky'
import nock from 'nock'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createTokenManager } from '@tokenwarden/core'
import { tokenHooks } from '@tokenwarden/ky'

const ISSUER = 'https://auth.example.com'

beforeEach(() => nock.disableNetConnect())
afterEach(() => {
	nock.cleanAll()
	nock.enableNetConnect()
})

function manager() {
	nock(ISSUER).persist().post('/oauth/token').reply(200, { access_token: 'tok', token_type: 'Bearer', expires_in: 3600 })
	return createTokenManager({ tokenUrl: `${ISSUER}/oauth/token`, clientId: 'c', clientSecret: 's' })
}

describe('tokenHooks without origins (API.md: ky.create({ hooks: tokenHooks(tokens, options) }))', () => {
	it("sends tokens to the client's baseUrl origin, and to no other", async () => {
		const seen: (string | null)[] = []
		const record = (request: Request) => {
			seen.push(request.headers.get('authorization'))
			return [200, {}] as const
		}
		nock('https://api.example.com').get('/cob').reply(record)
		nock('https://elsewhere.example.com').get('/x').reply(record)
		const api = ky.create({ baseUrl: 'https://api.example.com', hooks: tokenHooks(manager(), { scope: 'cob.read' }) })
		await api.get('cob').json()
		await api.get('https://elsewhere.example.com/x').json()
		expect(seen).toEqual(['Bearer tok', null])
	})

	it('works with prefix too', async () => {
		let authorization: string | null = null
		nock('https://api.example.com')
			.get('/v2/cob')
			.reply((request: Request) => {
				authorization = request.headers.get('authorization')
				return [200, {}]
			})
		const api = ky.create({ prefix: 'https://api.example.com/v2/', hooks: tokenHooks(manager()) })
		await api.get('cob').json()
		expect(authorization).toBe('Bearer tok')
	})

	it('fails a call made without baseUrl, prefix or origins with a TypeError instead of guessing', async () => {
		const api = ky.create({ hooks: tokenHooks(manager()) })
		await expect(api.get('https://api.example.com/cob')).rejects.toThrowError(/cannot tell where tokens may go/)
	})

	it('lets a call opted out with context.tokenwarden: false through untouched, also without baseUrl or prefix', async () => {
		let authorization: string | null = 'unset'
		nock('https://api.example.com')
			.get('/health')
			.reply((request: Request) => {
				authorization = request.headers.get('authorization')
				return [200, {}]
			})
		const api = ky.create({ hooks: tokenHooks(manager()) })
		expect((await api.get('https://api.example.com/health', { context: { tokenwarden: false } })).status).toBe(200)
		expect(authorization).toBeNull()
	})

	it('still checks the other options when the hooks are made', () => {
		expect(() => tokenHooks(manager(), { scope: 42 as unknown as string })).toThrowError(TypeError)
	})
})

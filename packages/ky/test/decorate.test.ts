import kyOne from 'ky-1'
import ky from 'ky'
import { describe, expect, test } from 'vitest'
import { bancoDoBrasilApi, interApi, sicoobApi } from '@tokenwarden/core/providers'
import { tokenHooks, withTokens } from '@tokenwarden/ky'
import { API, setup, useNock, recordingApi } from '../../../test-support/adapters.ts'

useNock()

const bb = bancoDoBrasilApi({ developerApplicationKey: 'app-key-1' })

describe('decorate (issue 20: what the API calls need besides the token)', () => {
	test("Banco do Brasil's application key goes on every request with a token, after ky's own searchParams", async () => {
		const { tokens } = setup()
		const seen = recordingApi(API)
		const api = withTokens(ky.create({ baseUrl: `${API}/pix/v2/` }), tokens, { decorate: bb })
		await api.get('cob')
		await api.get('cob', { searchParams: { inicio: '2025-01-01' } })
		await api.post('cob', { json: { valor: '1.00' } })
		expect(seen.map((entry) => entry.url)).toEqual([
			`${API}/pix/v2/cob?gw-dev-app-key=app-key-1`,
			`${API}/pix/v2/cob?inicio=2025-01-01&gw-dev-app-key=app-key-1`,
			`${API}/pix/v2/cob?gw-dev-app-key=app-key-1`,
		])
		expect(seen.every((entry) => entry.authorization === 'Bearer access-1')).toBe(true)
	})

	test("headers (Sicoob's client_id, Inter's x-conta-corrente) go on; the caller's own values stay", async () => {
		const { tokens } = setup()
		const seen = recordingApi(API)
		const decorate = {
			searchParams: { 'gw-dev-app-key': 'k' },
			headers: { ...sicoobApi({ clientId: 'sicoob-client' }).headers, ...interApi({ contaCorrente: '12345678' }).headers },
		}
		const api = withTokens(ky.create({ baseUrl: API }), tokens, { decorate })
		await api.get('a')
		await api.get('b', { headers: { 'X-Conta-Corrente': '999' }, searchParams: { 'gw-dev-app-key': 'mine' } })
		expect(seen.map(({ url, clientId, account }) => [url, clientId, account])).toEqual([
			[`${API}/a?gw-dev-app-key=k`, 'sicoob-client', '12345678'],
			[`${API}/b?gw-dev-app-key=mine`, 'sicoob-client', '999'],
		])
	})

	test('nothing goes to another origin, nor with tokenwarden: false (the key is a credential)', async () => {
		const { tokens } = setup()
		const home = recordingApi(API)
		const elsewhere = recordingApi('https://elsewhere.example.com')
		const decorate = { searchParams: bb.searchParams, headers: sicoobApi({ clientId: 'sicoob-client' }).headers }
		const api = withTokens(ky.create({ baseUrl: API }), tokens, { decorate })
		await api.get('https://elsewhere.example.com/x')
		await api.get('health', { context: { tokenwarden: false } })
		expect(elsewhere).toEqual([{ url: 'https://elsewhere.example.com/x', authorization: null, clientId: null, account: null }])
		expect(home).toEqual([{ url: `${API}/health`, authorization: null, clientId: null, account: null }])
	})

	test('tokenHooks takes it too, and so does ky 1 through withTokens', async () => {
		const { tokens } = setup()
		const seen = recordingApi(API)
		await ky.create({ baseUrl: API, hooks: tokenHooks(tokens, { decorate: bb }) }).get('cob')
		await withTokens(kyOne.create({ prefixUrl: API }) as never, tokens, { decorate: sicoobApi({ clientId: 'sicoob-client' }) }).get('cob')
		expect(seen.map(({ url, clientId }) => [url, clientId])).toEqual([
			[`${API}/cob?gw-dev-app-key=app-key-1`, null],
			[`${API}/cob`, 'sicoob-client'],
		])
	})

	test('is checked at creation: a TypeError naming the option', () => {
		const { tokens } = setup()
		expect(() => withTokens(ky.create({ baseUrl: API }), tokens, { decorate: { searchParam: {} } } as never)).toThrow(/did you mean withTokens option decorate\.searchParams\?/)
		expect(() => tokenHooks(tokens, { decorate: { headers: { client_id: 1 } } } as never)).toThrow(
			'tokenwarden: expected tokenHooks option decorate.headers.client_id to be a string, got 1',
		)
		expect(() => tokenHooks(tokens, { decorate: 'k' } as never)).toThrow(/^tokenwarden: expected tokenHooks option decorate to be an object/)
	})
})

describe('tokenHooks without origins nor a base URL', () => {
	test('rejects the call before any request, saying what to pass', async () => {
		const { tokens } = setup()
		const seen = recordingApi(API)
		const api = ky.create({ hooks: tokenHooks(tokens) })
		const failure = api.get(`${API}/cob`)
		await expect(failure).rejects.toThrow(TypeError)
		await expect(failure).rejects.toThrow(/Pass origins to tokenHooks .*give ky\.create a baseUrl, or use withTokens/)
		expect(seen).toEqual([])
	})
})

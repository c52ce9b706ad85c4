import axios from 'axios'
import { describe, expect, test } from 'vitest'
import { bancoDoBrasilApi, interApi, sicoobApi } from '@tokenwarden/core/providers'
import { withTokens } from '@tokenwarden/axios'
import { API, setup, startServer, useNock, recordingApi } from '../../../test-support/adapters.ts'

useNock()

const bb = bancoDoBrasilApi({ developerApplicationKey: 'app-key-1' })

describe('decorate (issue 20: what the API calls need besides the token)', () => {
	test("Banco do Brasil's application key goes on every request with a token, beside the caller's params", async () => {
		const { tokens } = setup()
		const seen = recordingApi(API)
		const api = withTokens(axios.create({ baseURL: `${API}/pix/v2` }), tokens, { decorate: bb })
		await api.get('/cob')
		await api.get('/cob', { params: { inicio: '2025-01-01' } })
		await api.get('/cob', { params: new URLSearchParams({ fim: 'x' }) })
		await api.post('/cob', { valor: '1.00' })
		for (const adapter of ['http', 'fetch'] as const) await api.get('/cob', { adapter })
		expect(seen.map((entry) => entry.url)).toEqual([
			`${API}/pix/v2/cob?gw-dev-app-key=app-key-1`,
			`${API}/pix/v2/cob?inicio=2025-01-01&gw-dev-app-key=app-key-1`,
			`${API}/pix/v2/cob?fim=x&gw-dev-app-key=app-key-1`,
			`${API}/pix/v2/cob?gw-dev-app-key=app-key-1`,
			`${API}/pix/v2/cob?gw-dev-app-key=app-key-1`,
			`${API}/pix/v2/cob?gw-dev-app-key=app-key-1`,
		])
		expect(seen.every((entry) => entry.authorization === 'Bearer access-1')).toBe(true)
	})

	test("never over the caller's own value: in params, in the URL's query, or a header on the request or the instance", async () => {
		const { tokens } = setup()
		const seen = recordingApi(API)
		const decorate = { searchParams: bb.searchParams, headers: { ...sicoobApi({ clientId: 'sicoob-client' }).headers, ...interApi({ contaCorrente: '12345678' }).headers } }
		const instance = axios.create({ baseURL: API, headers: { 'X-Conta-Corrente': '777' } })
		const api = withTokens(instance, tokens, { decorate })
		const shared = { keep: '1' }
		await api.get('/a', { params: shared })
		await api.get('/b', { params: { 'gw-dev-app-key': 'mine' }, headers: { CLIENT_ID: 'mine' } })
		await api.get('/c?gw-dev-app-key=in-url')
		expect(seen.map(({ url, clientId, account }) => [url, clientId, account])).toEqual([
			[`${API}/a?keep=1&gw-dev-app-key=app-key-1`, 'sicoob-client', '777'],
			[`${API}/b?gw-dev-app-key=mine`, 'mine', '777'],
			[`${API}/c?gw-dev-app-key=in-url`, 'sicoob-client', '777'],
		])
		// The caller's params object is copied, not changed.
		expect(shared).toEqual({ keep: '1' })
	})

	test('nothing goes to another origin, nor with tokenwarden: false (the key is a credential)', async () => {
		const { tokens } = setup()
		const home = recordingApi(API)
		const elsewhere = recordingApi('https://elsewhere.example.com')
		const decorate = { searchParams: bb.searchParams, headers: sicoobApi({ clientId: 'sicoob-client' }).headers }
		const api = withTokens(axios.create({ baseURL: API }), tokens, { decorate })
		await api.get('https://elsewhere.example.com/x')
		await api.get('/health', { tokenwarden: false })
		expect(elsewhere).toEqual([{ url: 'https://elsewhere.example.com/x', authorization: null, clientId: null, account: null }])
		expect(home).toEqual([{ url: `${API}/health`, authorization: null, clientId: null, account: null }])
	})

	test("a redirect to an origin that may not have the token loses the decoration's headers with it", async () => {
		const { tokens } = setup()
		const headersAt: Record<string, unknown>[] = []
		const other = await startServer((_path, headers) => {
			headersAt.push({ client_id: headers.client_id, authorization: headers.authorization })
			return { status: 200 }
		})
		const home = await startServer((_path, headers) => {
			headersAt.push({ client_id: headers.client_id, authorization: headers.authorization })
			return { status: 302, location: `${other.origin}/landing` }
		})
		const api = withTokens(axios.create({ baseURL: home.origin }), tokens, { decorate: sicoobApi({ clientId: 'sicoob-client' }) })
		await api.get('/away', { adapter: 'http' })
		expect(headersAt).toEqual([
			{ client_id: 'sicoob-client', authorization: 'Bearer access-1' },
			{ client_id: undefined, authorization: undefined },
		])
	})

	test('is checked at creation: a TypeError naming the option', () => {
		const { tokens } = setup()
		const make = (decorate: unknown) => () => withTokens(axios.create({ baseURL: API }), tokens, { decorate } as never)
		expect(make({ searchParam: {} })).toThrow(/did you mean withTokens option decorate\.searchParams\?/)
		expect(make({ searchParams: { k: 1 } })).toThrow('tokenwarden: expected withTokens option decorate.searchParams.k to be a string, got 1')
		expect(make(null)).toThrow(/^tokenwarden: expected withTokens option decorate to be an object/)
		expect(make(bb)).not.toThrow()
	})
})

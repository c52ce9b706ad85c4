import { describe, expect, test } from 'vitest'
import { bancoDoBrasilApi, interApi, sicoobApi } from '@tokenwarden/core/providers'
import { withTokens } from '@tokenwarden/fetch'
import { API, setup, startServer, useNock, recordingApi } from '../../../test-support/adapters.ts'

useNock()

const bb = bancoDoBrasilApi({ developerApplicationKey: 'app-key-1' })

describe('decorate (issue 20: what the API calls need besides the token)', () => {
	test("Banco do Brasil's application key goes on every request with a token, after the caller's query", async () => {
		const { tokens } = setup()
		const seen = recordingApi(API)
		const api = withTokens(fetch, tokens, { baseUrl: `${API}/pix/v2/`, decorate: bb })
		await api('cob')
		await api('cob?inicio=2025-01-01#part')
		await api(new URL(`${API}/pix/v2/cob`))
		await api(new Request(`${API}/pix/v2/cob?x=1`))
		expect(seen.map((entry) => entry.url)).toEqual([
			`${API}/pix/v2/cob?gw-dev-app-key=app-key-1`,
			`${API}/pix/v2/cob?inicio=2025-01-01&gw-dev-app-key=app-key-1`,
			`${API}/pix/v2/cob?gw-dev-app-key=app-key-1`,
			`${API}/pix/v2/cob?x=1&gw-dev-app-key=app-key-1`,
		])
		expect(seen.every((entry) => entry.authorization === 'Bearer access-1')).toBe(true)
	})

	test('Sicoob and Inter headers go on requests with a token; every header shape the caller gives keeps its own value', async () => {
		const { tokens } = setup()
		const seen = recordingApi(API)
		const decorate = { searchParams: {}, headers: { ...sicoobApi({ clientId: 'sicoob-client' }).headers, ...interApi({ contaCorrente: '12345678' }).headers } }
		const api = withTokens(fetch, tokens, { baseUrl: API, decorate })
		await api('/a')
		await api('/b', { headers: { 'X-Conta-Corrente': '999' } })
		await api('/c', { headers: [['CLIENT_ID', 'mine']] })
		await api('/d', { headers: new Headers({ other: '1' }) })
		expect(seen.map(({ clientId, account }) => [clientId, account])).toEqual([
			['sicoob-client', '12345678'],
			['sicoob-client', '999'],
			['mine', '12345678'],
			['sicoob-client', '12345678'],
		])
	})

	test("never overrides the caller's own query parameter", async () => {
		const { tokens } = setup()
		const seen = recordingApi(API)
		const api = withTokens(fetch, tokens, { baseUrl: API, decorate: bb })
		await api('/cob?gw-dev-app-key=mine')
		expect(seen.map((entry) => entry.url)).toEqual([`${API}/cob?gw-dev-app-key=mine`])
	})

	test('nothing goes to another origin, nor with tokenwarden: false (the key is a credential)', async () => {
		const { tokens } = setup()
		const home = recordingApi(API)
		const elsewhere = recordingApi('https://elsewhere.example.com')
		const decorate = { searchParams: bb.searchParams, headers: sicoobApi({ clientId: 'sicoob-client' }).headers }
		const api = withTokens(fetch, tokens, { baseUrl: API, decorate })
		await api('https://elsewhere.example.com/x')
		await api('/health', { tokenwarden: false })
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
		const api = withTokens(fetch, tokens, { baseUrl: home.origin, decorate: sicoobApi({ clientId: 'sicoob-client' }) })
		await (await api('/away')).arrayBuffer()
		expect(headersAt).toEqual([
			{ client_id: 'sicoob-client', authorization: 'Bearer access-1' },
			{ client_id: undefined, authorization: undefined },
		])
	})

	test('is checked at creation: unknown keys, non-strings, reserved or malformed headers are TypeErrors naming the option', () => {
		const { tokens } = setup()
		const make = (decorate: unknown) => () => withTokens(fetch, tokens, { baseUrl: API, decorate } as never)
		expect(make('gw-dev-app-key=x')).toThrow(/^tokenwarden: expected withTokens option decorate to be an object/)
		expect(make({ searchParam: {} })).toThrow(/did you mean withTokens option decorate\.searchParams\?/)
		expect(make({ headers: { client_id: 42 } })).toThrow('tokenwarden: expected withTokens option decorate.headers.client_id to be a string, got 42')
		expect(make({ headers: { Authorization: 'Bearer x' } })).toThrow(/expected withTokens option decorate.headers to be headers other than authorization/)
		expect(make({ headers: { 'bad name': 'x' } })).toThrow(TypeError)
		expect(make({ headers: { ok: 'line\r\nbreak' } })).toThrow(/without CR, LF or NUL, got a string of/)
		expect(make(bb)).not.toThrow()
		expect(make(interApi())).not.toThrow()
	})
})

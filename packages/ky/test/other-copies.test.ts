// The adapter with ky instances from other copies of ky than the one this package imports: ky 1 (a
// separate package, `prefixUrl` instead of `baseUrl`, other hook signatures) and a second copy of ky 2.
// Tokens must go out (no module-private marker of this package's ky may decide that), or withTokens
// must fail loudly; never a request silently without its token.
import kyOne, { HTTPError as HTTPErrorOne } from 'ky-1'
import kyTwoCopy, { HTTPError as HTTPErrorTwoCopy } from 'ky-2-0'
import ky from 'ky'
import { describe, expect, test } from 'vitest'
import type { TokenManager } from '@tokenwarden/core'
import type { AdapterOptions } from '@tokenwarden/core/adapter'
import { tokenHooks, withTokens } from '@tokenwarden/ky'
import { type AdapterDriver, API, endpoint, scenarios, setup, useNock } from '../../../test-support/adapters.ts'

useNock()

type AnyKy = typeof kyTwoCopy

/** A driver for a ky copy; ky 1 takes `prefixUrl`, and inputs without a leading slash. */
function driverOf(
	copy: AnyKy,
	base: 'baseUrl' | 'prefixUrl',
	HttpError: AdapterDriver<AnyKy>['HttpError'],
): AdapterDriver<AnyKy> & { create(tokens: TokenManager, options?: AdapterOptions, base?: string, more?: object): AnyKy } {
	// ky 1 puts prefixUrl in front of every string input, absolute or not: absolute URLs go as URL objects.
	const relative = (url: string) => (/^https?:/.test(url) ? new URL(url) : base === 'prefixUrl' ? url.replace(/^\/(?!\/)/, '') : url)
	return {
		create: (tokens, options, origin = API, more: object = {}) => withTokens(copy.create({ [base]: origin, ...more } as never) as never, tokens, options) as unknown as AnyKy,
		get: async (client, url, token, headers) =>
			(await client.get(relative(url), { ...(token === undefined ? {} : { context: { tokenwarden: token } }), ...(headers === undefined ? {} : { headers }) })).status,
		post: async (client, url, body) => (await client.post(relative(url), { body: body as BodyInit })).status,
		// HTTPError of that copy: the scenarios check the class the client rejects with.
		HttpError,
	}
}

const copies = [
	['ky 1 (prefixUrl)', driverOf(kyOne as unknown as AnyKy, 'prefixUrl', HTTPErrorOne)],
	['a second copy of ky 2', driverOf(kyTwoCopy, 'baseUrl', HTTPErrorTwoCopy)],
] as const

test('the copies are other modules than the ky this package imports', () => {
	expect(kyOne).not.toBe(ky)
	expect(kyTwoCopy).not.toBe(ky)
})

describe.each(copies)('%s', (_name, driver) => {
	test('requests to the base origin carry the token, one token for many requests', () => scenarios.oneTokenForManyRequests(driver, { path: '/cob', urls: ['cob', 'cob'] }))

	test('other origins get no token and ask for none', () => scenarios.noTokenForOtherOrigins(driver, [(api) => api.get(new URL('https://evil.example.com/steal'))]))

	test('origins widens the allowed set', () => scenarios.originsWidenTheSet(driver))

	test('context.tokenwarden: false sends no token', () => scenarios.optOutSendsNoToken(driver))

	test('scope per request through context', () => scenarios.scopePerRequest(driver))

	test('a 401 drops the token and the request is retried once with a fresh one', () => scenarios.retriesOnceWithFreshToken(driver))

	test('a second 401 reaches the caller', () => scenarios.secondUnauthorizedReachesCaller(driver))

	test('100 concurrent requests failing with the same stale token cause one new token request', () => scenarios.concurrentUnauthorizedShareOneRefresh(driver))

	test('errors of the manager reach the caller unchanged', () => scenarios.tokenEndpointErrorReachesCaller(driver))

	test('an HTTPError does not show the token', () => scenarios.httpErrorShowsNoToken(driver, (tokens) => driver.create(tokens, undefined, API, { retry: 0 })))

	test('installing twice keeps one installation; the later options win', async () => {
		const { tokens, tokenEndpoint } = setup()
		const api = withTokens(withTokens(driver.create(tokens, { scope: 'first' }) as never, tokens, { scope: 'second' }), tokens, { scope: 'third' })
		await scenarios.retriesOnceFor(driver, api as unknown as AnyKy, tokenEndpoint, 'third')
	})
})

describe('ky 1 limits: loud, never silent', () => {
	test('tokenHooks on ky 1 rejects a call that needs a token with a TypeError naming withTokens; an opted-out call goes through', async () => {
		const { tokens, tokenEndpoint } = setup()
		const { seen } = endpoint(API, '/cob')
		const api = kyOne.create({ prefixUrl: API, hooks: tokenHooks(tokens) as never })
		await expect(api.get('cob')).rejects.toThrow(/^tokenwarden: with ky 1, install with withTokens/)
		expect((await api.get('cob', { context: { tokenwarden: false } })).status).toBe(200)
		expect(seen).toEqual([null])
		expect(tokenEndpoint.count()).toBe(0)
	})

	test('a fetch option given after withTokens on ky 1 rejects the call instead of dropping the token', async () => {
		const { tokens } = setup()
		const { seen } = endpoint(API, '/cob')
		const api = withTokens(kyOne.create({ prefixUrl: API }) as never, tokens) as unknown as typeof kyOne
		await expect(api.get('cob', { fetch: (input, init) => fetch(input, init) })).rejects.toThrow(TypeError)
		expect(seen).toEqual([])
	})

	test('a fetch option given before withTokens on ky 1 is the one that sends, with the token', async () => {
		const { tokens } = setup()
		const { seen } = endpoint(API, '/cob')
		const sent: string[] = []
		const own = (input: RequestInfo | URL, init?: RequestInit) => {
			sent.push(String((input as Request).headers.get('authorization')))
			return fetch(input, init)
		}
		const api = withTokens(kyOne.create({ prefixUrl: API, fetch: own }) as never, tokens) as unknown as typeof kyOne
		await api.get('cob')
		expect(sent).toEqual(['Bearer access-1'])
		expect(seen).toEqual(['Bearer access-1'])
	})
})

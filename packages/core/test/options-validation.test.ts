import nock from 'nock'
import { describe, expect, it } from 'vitest'
import { createTokenManager, type TokenManagerOptions } from '@tokenwarden/core'
import { CLIENT_ID, CLIENT_SECRET, ISSUER, recorder, TOKEN_PATH, TOKEN_URL, useNock } from './helpers.ts'

useNock()

const valid = { tokenUrl: TOKEN_URL, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET }
const noop = () => {}
const logger = { debug: noop, info: noop, warn: noop, error: noop }

function creationError(options: Record<string, unknown>): unknown {
	try {
		createTokenManager(options as unknown as TokenManagerOptions)
	} catch (error) {
		return error
	}
	return undefined
}

describe('every option is checked at creation, in one message style', () => {
	it.each<[string, Record<string, unknown>, string, RegExp?]>([
		// retry: finite, non-negative, known keys (an unset Number(process.env.X) is NaN)
		['retry: NaN', { retry: Number.NaN }, 'retry', /got NaN/],
		['retry: Infinity', { retry: Number.POSITIVE_INFINITY }, 'retry', /got Infinity/],
		['retry: -1', { retry: -1 }, 'retry'],
		['retry: 1.5', { retry: 1.5 }, 'retry'],
		['retry: true', { retry: true }, 'retry'],
		['retry: null', { retry: null }, 'retry', /got null/],
		["retry: { limit: 'x' }", { retry: { limit: 'x' } }, 'retry.limit', /got "x"/],
		['retry: { limit: NaN }', { retry: { limit: Number.NaN } }, 'retry.limit'],
		['retry: { lmit: 0 } (a typo)', { retry: { lmit: 0 } }, 'retry.lmit', /did you mean retry\.limit\?/],
		['retry: { delay: Infinity }', { retry: { delay: Number.POSITIVE_INFINITY } }, 'retry.delay'],
		['retry: { maxDelay: -5 }', { retry: { maxDelay: -5 } }, 'retry.maxDelay'],
		['retry: { maxRetryAfter: 2^31 }', { retry: { maxRetryAfter: 2 ** 31 } }, 'retry.maxRetryAfter', /2147483647/],
		// durations: finite, in range, at most 2^31-1 ms (a longer timer fires at once)
		['timeout: 2^31', { timeout: 2 ** 31 }, 'timeout', /from 1 to 2147483647, got 2147483648/],
		['timeout: NaN', { timeout: Number.NaN }, 'timeout'],
		["timeout: '10s'", { timeout: '10s' }, 'timeout'],
		['refreshAhead: 2^31', { refreshAhead: 2 ** 31 }, 'refreshAhead'],
		['expiryMargin: Infinity', { expiryMargin: Number.POSITIVE_INFINITY }, 'expiryMargin'],
		['defaultLifetime: 0', { defaultLifetime: 0 }, 'defaultLifetime'],
		['consentWarning: -1', { consentWarning: -1 }, 'consentWarning'],
		['refreshTokenLifetime: two years', { refreshTokenLifetime: 2 * 366 * 24 * 3600 * 1000 }, 'refreshTokenLifetime'],
		['rateLimit: { interval: 2^31 }', { rateLimit: { limit: 1, interval: 2 ** 31 } }, 'rateLimit.interval'],
		['rateLimit: { limit: 1.5 }', { rateLimit: { limit: 1.5, interval: 1000 } }, 'rateLimit.limit'],
		['rateLimit: { limit, intervall }', { rateLimit: { limit: 1, interval: 1000, intervall: 5 } }, 'rateLimit.intervall', /did you mean rateLimit\.interval\?/],
		['concurrency: 0', { concurrency: 0 }, 'concurrency'],
		['maxScopes: 0', { maxScopes: 0 }, 'maxScopes'],
		['maxResponseBytes: 0', { maxResponseBytes: 0 }, 'maxResponseBytes'],
		["maxResponseBytes: '64kb'", { maxResponseBytes: '64kb' }, 'maxResponseBytes'],
		['maxResponseBytes: 1 GiB', { maxResponseBytes: 2 ** 30 }, 'maxResponseBytes'],
		// null is never "not given"
		['logger: null', { logger: null }, 'logger', /got null/],
		['store: null', { store: null }, 'store', /got null/],
		['rateLimit: null', { rateLimit: null }, 'rateLimit', /got null/],
		['clock: null', { clock: null }, 'clock'],
		['tls: null', { tls: null }, 'tls'],
		['tokenParams: null', { tokenParams: null }, 'tokenParams'],
		['onEvent: null', { onEvent: null }, 'onEvent'],
		['fetch: null', { fetch: null }, 'fetch'],
		['scope: null', { scope: null }, 'scope'],
		// shapes
		['clock: {}', { clock: {} }, 'clock.now'],
		['clock without clearTimeout', { clock: { now: Date.now, setTimeout } }, 'clock.clearTimeout'],
		['a logger without error', { logger: { debug: noop, info: noop, warn: noop } }, 'logger.error'],
		['a store whose lock is not a function', { store: { get: noop, set: noop, delete: noop, compareAndDelete: noop, lock: true } }, 'store.lock'],
		["tokenParams: 'abc'", { tokenParams: 'abc' }, 'tokenParams', /plain object of strings/],
		['tokenParams: { n: 1 }', { tokenParams: { n: 1 } }, 'tokenParams.n'],
		['tokenParams: an array', { tokenParams: ['a'] }, 'tokenParams'],
		["scope: ['a', 5]", { scope: ['a', 5] }, 'scope[1]', /got 5/],
		['scope with a control character', { scope: 'a\nb' }, 'scope'],
		["scopeOnRefresh: 'no'", { scopeOnRefresh: 'no' }, 'scopeOnRefresh', /true or false, got "no"/],
		['scopeOnRefresh: 0', { scopeOnRefresh: 0 }, 'scopeOnRefresh'],
		["onEvent: 'log'", { onEvent: 'log' }, 'onEvent'],
		['fetch: {}', { fetch: {} }, 'fetch'],
		['tls: { cert: 5 }', { clientAuth: 'tls_client_auth', clientSecret: undefined, tls: { cert: 5, key: 'k' } }, 'tls.cert'],
		['tls: { pfx, passphrase: 5 }', { clientAuth: 'tls_client_auth', clientSecret: undefined, tls: { pfx: Buffer.from('x'), passphrase: 5 } }, 'tls.passphrase'],
		['tls: { ca: [5] }', { tls: { ca: [5] } }, 'tls.ca[0]'],
		['tls: { cert, keys } (a typo)', { clientAuth: 'tls_client_auth', clientSecret: undefined, tls: { cert: 'x', keys: 'k' } }, 'tls.keys', /did you mean tls\.key\?/],
		['tls: { certificate }', { clientAuth: 'tls_client_auth', clientSecret: undefined, tls: { certificate: 'x' } }, 'tls.certificate', /known: cert, key, pfx, passphrase, ca/],
		["authorizeUrl: 'nope'", { authorizeUrl: 'nope' }, 'authorizeUrl'],
		["revocationUrl: 'ftp://x'", { revocationUrl: 'ftp://x.example/revoke' }, 'revocationUrl'],
		["redirectUri: ''", { redirectUri: '' }, 'redirectUri'],
		['algorithm: 5', { algorithm: 5 }, 'algorithm'],
		["keyId: ''", { clientAuth: 'private_key_jwt', clientSecret: undefined, privateKey: 'x', keyId: '' }, 'keyId'],
		// unknown top-level keys, with a hint for near-misses
		['timout (a typo)', { timout: 5000 }, 'timout', /did you mean timeout\?/],
		['scopes (a typo)', { scopes: ['a'] }, 'scopes', /did you mean scope\?/],
		['clientSecrt (a typo)', { clientSecrt: 'x' }, 'clientSecrt', /did you mean clientSecret\?/],
		['an unrelated key', { baseURL: 'https://api.example.com' }, 'baseURL', /known: tokenUrl, clientId/],
		['options: null', null as unknown as Record<string, unknown>, 'options'],
	])('%s is a TypeError naming the option', (_label, overrides, option, detail) => {
		const options = overrides === null ? null : { ...valid, ...overrides }
		const error = creationError(options as Record<string, unknown>)
		expect(error).toBeInstanceOf(TypeError)
		const { message } = error as TypeError
		expect(message).toMatch(/^tokenwarden: expected /)
		expect(message).toContain(option)
		expect(message).toMatch(/, got /)
		if (detail) expect(message).toMatch(detail)
		expect(message).not.toContain(CLIENT_SECRET)
	})

	it('never quotes a secret option', () => {
		const error = creationError({ ...valid, clientAuth: 'none', clientSecret: 'a-real-looking-secret' }) as TypeError
		expect(error.message).toMatch(/^tokenwarden: expected clientSecret /)
		expect(error.message).not.toContain('a-real-looking-secret')
	})

	it('accepts the documented shapes', () => {
		const clock = { now: Date.now, setTimeout: (callback: () => void, ms: number) => setTimeout(callback, ms), clearTimeout: noop }
		for (const options of [
			{ retry: 0 },
			{ retry: false },
			{ retry: { limit: 0, delay: 10, maxDelay: 100, maxRetryAfter: 1000 } },
			{ retry: { limit: undefined } },
			{ timeout: 2 ** 31 - 1 },
			{ refreshTokenLifetime: 30 * 24 * 3600 * 1000 },
			{ scope: ['a', 'b c'] },
			{ scope: 'a b' },
			{ clock, logger, onEvent: noop },
			{ tokenParams: { audience: 'https://api.example.com', resource: undefined } },
			{ maxResponseBytes: 1024 * 1024 },
			{ timeout: undefined, logger: undefined, store: undefined },
		]) {
			expect(creationError({ ...valid, ...options }), JSON.stringify(options)).toBeUndefined()
		}
	})

	it('drops undefined tokenParams instead of sending "undefined"', async () => {
		const endpoint = recorder()
		nock(ISSUER).post(TOKEN_PATH).reply(endpoint.reply)
		const tokens = createTokenManager({ ...valid, tokenParams: { audience: 'api', resource: undefined as unknown as string } })
		await tokens.getToken()
		expect(endpoint.seen[0]?.form).toMatchObject({ audience: 'api', grant_type: 'client_credentials' })
		expect(endpoint.seen[0]?.form).not.toHaveProperty('resource')
	})
})

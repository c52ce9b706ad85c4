import { inspect } from 'node:util'
import nock from 'nock'
import { describe, expect, it } from 'vitest'
import type { Logger } from '@tokenwarden/core'
import { CLIENT_SECRET, ISSUER, networkError, setup, TOKEN_PATH, useNock } from './helpers.ts'

useNock()

const BASIC = Buffer.from(`client-1:${new URLSearchParams({ v: CLIENT_SECRET }).toString().slice(2)}`).toString('base64')

/** Everything a user could log of an error: message, cause, JSON, util.inspect (deep), stack. */
function everyRendering(error: unknown): string {
	return [String(error), JSON.stringify(error), inspect(error, { depth: 10, showHidden: true }), (error as Error).stack, JSON.stringify((error as Error).cause ?? null)].join('\n')
}

function collectingLogger(lines: string[]): Logger {
	const log = (message: string, data?: Record<string, unknown>) => lines.push(`${message} ${JSON.stringify(data ?? {})} ${inspect(data, { depth: 10 })}`)
	return { debug: log, info: log, warn: log, error: log }
}

describe('secrets never leak', () => {
	it.each([
		['an OAuth error', () => nock(ISSUER).post(TOKEN_PATH).reply(401, { error: 'invalid_client', error_description: 'bad credentials' })],
		[
			'an HTML page that echoes the request',
			() => nock(ISSUER).post(TOKEN_PATH).reply(200, `<html><title>Denied ${CLIENT_SECRET} Basic ${BASIC}</title></html>`, { 'Content-Type': 'text/html' }),
		],
		['a 500 after retries', () => nock(ISSUER).post(TOKEN_PATH).times(3).reply(500, `secret was ${CLIENT_SECRET}`)],
		['a network error', () => nock(ISSUER).post(TOKEN_PATH).times(3).replyWithError(networkError())],
		[
			'a 2xx body that is unusable but carries a token',
			() => nock(ISSUER).post(TOKEN_PATH).reply(200, { access_token: 'leaky-access-token-value', token_type: 'mac', refresh_token: 'leaky-refresh-token' }),
		],
	])('in %s: error message, cause, JSON, inspect, logs and events', async (_label, arrange) => {
		arrange()
		const lines: string[] = []
		const { tokens, events } = setup({ logger: collectingLogger(lines), retry: { limit: 2, delay: 1 } })
		const error = await tokens.getToken().catch((caught: unknown) => caught)
		expect(error).toBeInstanceOf(Error)
		const rendered = [everyRendering(error), lines.join('\n'), inspect(events, { depth: 10 }), JSON.stringify(events)].join('\n')
		for (const secret of [CLIENT_SECRET, BASIC, 'leaky-access-token-value', 'leaky-refresh-token', 's3cr3t']) {
			expect(rendered).not.toContain(secret)
		}
	})

	it('masks the client assertion and the Basic credentials when the server quotes them back', async () => {
		const { createTokenManager } = await import('@tokenwarden/core')
		const { generateKeyPairSync } = await import('node:crypto')
		const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
		let assertion = ''
		nock(ISSUER)
			.post(TOKEN_PATH)
			.reply(async (request: Request) => {
				assertion = new URLSearchParams(await request.text()).get('client_assertion') ?? ''
				return [400, { error: 'invalid_client', error_description: `bad assertion ${assertion}` }]
			})
		const tokens = createTokenManager({ tokenUrl: `${ISSUER}${TOKEN_PATH}`, clientId: 'c', clientAuth: 'private_key_jwt', privateKey, algorithm: 'ES256' })
		const error = await tokens.getToken().catch((caught: unknown) => caught)
		expect(assertion.length).toBeGreaterThan(50)
		expect(everyRendering(error)).not.toContain(assertion)
		nock(ISSUER)
			.post(TOKEN_PATH)
			.reply(401, { error: 'invalid_client', error_description: `Basic ${BASIC} rejected` })
		const basicError = await setup()
			.tokens.getToken()
			.catch((caught: unknown) => caught)
		expect(everyRendering(basicError)).not.toContain(BASIC)
	})

	it('masks the access token when a token is logged, serialised or snapshotted', async () => {
		nock(ISSUER).post(TOKEN_PATH).reply(200, { access_token: 'very-secret-access-token', token_type: 'Bearer', expires_in: 60 })
		const lines: string[] = []
		const { tokens, events } = setup({ logger: collectingLogger(lines) })
		const token = await tokens.getToken()
		expect(token.accessToken).toBe('very-secret-access-token')
		expect(inspect(token)).not.toContain('very-secret-access-token')
		expect(JSON.stringify(token)).not.toContain('very-secret-access-token')
		expect(JSON.stringify(token)).toContain('[redacted]')
		expect(inspect(events, { depth: 10 }) + lines.join('\n')).not.toContain('very-secret-access-token')
		expect(token).toMatchInlineSnapshot(`
			{
			  "accessToken": "[redacted]",
			  "expiresAt": ${token.expiresAt},
			  "scope": [],
			  "tokenType": "Bearer",
			}
		`)
	})

	it('keeps the secret out of configuration errors', async () => {
		const { createTokenManager } = await import('@tokenwarden/core')
		const error = (() => {
			try {
				createTokenManager({ tokenUrl: 'not a url', clientId: 'a', clientSecret: CLIENT_SECRET })
			} catch (caught) {
				return caught
			}
		})()
		expect(error).toBeInstanceOf(TypeError)
		expect(everyRendering(error)).not.toContain(CLIENT_SECRET)
	})
})

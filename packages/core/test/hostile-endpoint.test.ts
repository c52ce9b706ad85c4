import { generateKeyPairSync } from 'node:crypto'
import type { ServerResponse } from 'node:http'
import { inspect } from 'node:util'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
	createTokenManager,
	InvalidTokenResponseError,
	type Logger,
	OAuthError,
	TokenEndpointError,
	type TokenManager,
	type TokenManagerOptions,
	TokenWardenError,
	type TokenWardenEvent,
} from '@tokenwarden/core'
import { gzipBomb, type HostileHandler, type HostileRequest, pump, startHostileServer } from './hostile-server.ts'

// A real node:http server on 127.0.0.1, no nock: the point is what undici's fetch does with bytes on a socket.
let server: Awaited<ReturnType<typeof startHostileServer>>
let bomb: Buffer
beforeAll(async () => {
	server = await startHostileServer()
	bomb = await gzipBomb('{"access_token":"', MB200, '","token_type":"Bearer"}')
}, 60_000)
afterAll(() => server.close())

const MB200 = 200 * 1024 * 1024
const CLIENT_ID = 'client-1'
/** Characters that every encoding changes: + / = space & é %. */
const CLIENT_SECRET = 'k9+Zq/Wm3= &é%x'
const REFRESH_TOKEN = 'rt+/Zq9=Wm3 &%refresh'
const CODE = 'code+/Zq9=Wm3 &%value'
const REDIRECT_URI = 'https://app.example.com/callback'

/** Everything a manager reported while it ran. */
interface Reports {
	events: TokenWardenEvent[]
	lines: string[]
}

function manager(overrides: Record<string, unknown> = {}): { tokens: TokenManager } & Reports {
	const events: TokenWardenEvent[] = []
	const lines: string[] = []
	const log = (message: string, data?: Record<string, unknown>) => lines.push(`${message} ${JSON.stringify(data ?? {})} ${inspect(data, { depth: 10 })}`)
	const logger: Logger = { debug: log, info: log, warn: log, error: log }
	const tokens = createTokenManager({
		tokenUrl: server.tokenUrl,
		revocationUrl: server.revocationUrl,
		clientId: CLIENT_ID,
		clientSecret: CLIENT_SECRET,
		retry: false,
		timeout: 5_000,
		onEvent: (event) => events.push(event),
		logger,
		...overrides,
	} as TokenManagerOptions)
	return { tokens, events, lines }
}

function json(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
	response.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body))
}

const caught = (promise: Promise<unknown>) =>
	promise.then(
		(value) => ({ resolved: value }),
		(error: unknown) => error,
	)

/** Every way a user could print an error, its whole cause chain, and what the manager reported. */
function rendered(error: unknown, reports: Reports): string {
	const parts: string[] = [String(error), JSON.stringify(error), inspect(error, { depth: 10 }), inspect(error, { depth: 10, showHidden: true })]
	for (let current: unknown = error, depth = 0; current && depth < 6; current = (current as Error).cause, depth++) {
		parts.push(String((current as Error).message), (current as Error).stack ?? '', JSON.stringify(current), inspect({ ...(current as object) }, { depth: 10 }))
		if (current instanceof TokenWardenError) parts.push(JSON.stringify(current.toJSON()))
	}
	parts.push(inspect(reports.events, { depth: 10 }), JSON.stringify(reports.events), reports.lines.join('\n'))
	return parts.join('\n')
}

// ---------------------------------------------------------------------------------------------------
// Memory: bounded whatever the server sends.

// `--expose-gc` at run time: measurements after a full collection are what the process keeps.
setFlagsFromString('--expose-gc')
const gc = (globalThis as { gc?: () => void }).gc ?? (runInNewContext('gc') as () => void)
const used = () => {
	const memory = process.memoryUsage()
	return memory.heapUsed + memory.arrayBuffers
}

/** Peak (sampled) and retained (after a full GC) growth of heap plus array buffers around `run`. */
async function measure<T>(run: () => Promise<T>): Promise<{ result: T; peak: number; retained: number }> {
	gc()
	const base = used()
	let peak = base
	const sampler = setInterval(() => {
		peak = Math.max(peak, used())
	}, 2)
	try {
		const result = await run()
		peak = Math.max(peak, used())
		gc()
		return { result, peak: peak - base, retained: used() - base }
	} finally {
		clearInterval(sampler)
	}
}

const TEN_MB = 10 * 1024 * 1024

describe('a byte cap on every response, enforced while streaming', () => {
	const token =
		(size: number): HostileHandler =>
		(_request, response) => {
			response.writeHead(200, { 'content-type': 'application/json' })
			pump(response, '{"access_token":"', size, '","token_type":"Bearer","expires_in":60}')
		}
	it.each<[string, HostileHandler, abstract new (...args: never[]) => Error, string]>([
		['a 200 MB access token, chunked', token(MB200), InvalidTokenResponseError, 'too_large'],
		[
			'a 200 MB access token with its Content-Length',
			(_request, response) => {
				const prefix = '{"access_token":"'
				const suffix = '"}'
				response.writeHead(200, { 'content-type': 'application/json', 'content-length': String(prefix.length + MB200 + suffix.length) })
				pump(response, prefix, MB200, suffix)
			},
			InvalidTokenResponseError,
			'too_large',
		],
		['an endless body', token(Number.POSITIVE_INFINITY), InvalidTokenResponseError, 'too_large'],
		[
			'a 200 MB error_description on a 400',
			(_request, response) => {
				response.writeHead(400, { 'content-type': 'application/json' })
				pump(response, '{"error":"invalid_request","error_description":"', MB200, '"}')
			},
			TokenEndpointError,
			'',
		],
		[
			'a gzip bomb (a few hundred KiB inflating to 200 MB)',
			(_request, response) => {
				response.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' }).end(bomb)
			},
			InvalidTokenResponseError,
			'too_large',
		],
	])(
		'%s: rejected with a bounded heap',
		async (_label, handler, errorClass, reason) => {
			server.answer(handler)
			const reports = manager()
			const { result: error, peak, retained } = await measure(() => caught(reports.tokens.getToken()))
			expect(error).toBeInstanceOf(errorClass)
			if (reason) expect(error).toMatchObject({ reason })
			expect((error as Error).message).toMatch(/larger than maxResponseBytes \(65536 bytes\)/)
			expect(peak).toBeLessThan(TEN_MB)
			expect(retained).toBeLessThan(TEN_MB)
		},
		30_000,
	)

	it('maxResponseBytes lets a larger response through when asked', async () => {
		server.answer((_request, response) => json(response, 200, { access_token: 'at-big', token_type: 'Bearer', expires_in: 60, id_token: 'x'.repeat(100 * 1024) }))
		await expect(manager().tokens.getToken()).rejects.toMatchObject({ code: 'INVALID_TOKEN_RESPONSE', reason: 'too_large' })
		await expect(manager({ maxResponseBytes: 256 * 1024 }).tokens.getToken()).resolves.toMatchObject({ accessToken: 'at-big' })
	})

	it('caps the revocation endpoint too', async () => {
		const reports = manager()
		server.answer((request, response) => {
			if (request.path === '/revoke') {
				response.writeHead(400, { 'content-type': 'application/json' })
				pump(response, '{"error":"invalid_request","error_description":"', Number.POSITIVE_INFINITY, '')
				return
			}
			json(response, 200, { access_token: 'at-1', token_type: 'Bearer', expires_in: 60, refresh_token: REFRESH_TOKEN })
		})
		await reports.tokens.exchangeCode({ code: CODE, state: 's', expectedState: 's', redirectUri: REDIRECT_URI, subject: 'holder' })
		const { result: error, peak } = await measure(() => caught(reports.tokens.revoke({ subject: 'holder' })))
		expect(error).toBeInstanceOf(TokenEndpointError)
		expect((error as Error).message).toMatch(/Revocation endpoint answered HTTP 400 with a body larger than maxResponseBytes/)
		expect(peak).toBeLessThan(TEN_MB)
	}, 30_000)
})

// ---------------------------------------------------------------------------------------------------
// Bodies that break off: always a TokenEndpointError, never undici's raw `TypeError: terminated`.

const breaks: [string, HostileHandler][] = [
	[
		'a truncated body (Content-Length not reached)',
		(_request, response) => {
			response.writeHead(200, { 'content-type': 'application/json', 'content-length': '1000' })
			response.write('{"access_token":"at-')
			setTimeout(() => response.socket?.end(), 10)
		},
	],
	[
		'a connection reset mid-body',
		(_request, response) => {
			response.writeHead(200, { 'content-type': 'application/json' })
			response.write('{"access_token":"at-')
			setTimeout(() => response.socket?.resetAndDestroy(), 10)
		},
	],
	[
		'a body that is not the gzip it claims',
		(_request, response) => {
			response.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' }).end('this is not gzip at all')
		},
	],
]

describe('body-read failures', () => {
	it.each(breaks)('%s is a TokenEndpointError saying the server may have acted', async (_label, handler) => {
		server.answer(handler)
		const error = await caught(manager().tokens.getToken())
		expect(error).toBeInstanceOf(TokenEndpointError)
		expect(error).toMatchObject({ code: 'TOKEN_ENDPOINT_ERROR', status: 200, serverMayHaveActed: true })
		expect((error as Error).message).toMatch(/^Token endpoint answered HTTP 200, then /)
		expect((error as Error).cause).toBeInstanceOf(Error)
	})

	it.each(breaks)('%s: a client_credentials request is retried', async (_label, handler) => {
		server.answer(handler)
		const error = await caught(manager({ retry: { limit: 2, delay: 1 } }).tokens.getToken())
		expect(error).toMatchObject({ code: 'TOKEN_ENDPOINT_ERROR', attempts: 3 })
		expect(server.seen).toHaveLength(3)
	})

	it.each(breaks)('%s: a code (spent by the server) is never sent twice', async (_label, handler) => {
		server.answer(handler)
		const { tokens } = manager({ retry: { limit: 3, delay: 1 } })
		const error = await caught(tokens.exchangeCode({ code: CODE, state: 's', expectedState: 's', redirectUri: REDIRECT_URI, subject: 'holder' }))
		expect(error).toMatchObject({ code: 'TOKEN_ENDPOINT_ERROR', serverMayHaveActed: true })
		expect(server.seen).toHaveLength(1)
	})

	it.each(breaks)('%s: a rotating refresh token is never sent twice', async (_label, handler) => {
		const { tokens } = manager({ retry: { limit: 3, delay: 1 } })
		server.answer((_request, response) => json(response, 200, { access_token: 'at-1', token_type: 'Bearer', expires_in: 3600, refresh_token: REFRESH_TOKEN }))
		await tokens.exchangeCode({ code: CODE, state: 's', expectedState: 's', redirectUri: REDIRECT_URI, subject: 'holder' })
		server.answer(handler)
		const error = await caught(tokens.getToken({ subject: 'holder', forceRefresh: true }))
		expect(error).toMatchObject({ code: 'TOKEN_ENDPOINT_ERROR', serverMayHaveActed: true })
		expect(server.seen).toHaveLength(1)
	})

	it('a slow drip is cut off by the timeout', async () => {
		server.answer((_request, response) => {
			response.writeHead(200, { 'content-type': 'application/json' })
			const drip = setInterval(() => response.write(' '), 20)
			response.on('close', () => clearInterval(drip))
		})
		const error = await caught(manager({ timeout: 200 }).tokens.getToken())
		expect(error).toBeInstanceOf(TokenEndpointError)
		expect((error as Error).message).toMatch(/timed out after 200 ms/)
	})
})

// ---------------------------------------------------------------------------------------------------
// Access tokens an HTTP client cannot send as they are.

describe('access tokens outside visible ASCII or absurdly long', () => {
	it.each([
		['a CR LF (header injection)', 'secret-token-value\r\nX-Injected: 1'],
		['a NUL', 'secret-token-value\u0000tail'],
		['a space', 'secret-token-value tail'],
		['a tab', 'secret-token-value\ttail'],
		['a DEL', 'secret-token-value\u007ftail'],
		['a non-ASCII letter', 'secret-token-valué'],
		['12 KiB and one character', `secret-token-value${'a'.repeat(12 * 1024)}`],
	])('%s is an InvalidTokenResponseError that never quotes the token', async (_label, accessToken) => {
		server.answer((_request, response) => json(response, 200, { access_token: accessToken, token_type: 'Bearer', expires_in: 60 }))
		const reports = manager()
		const error = await caught(reports.tokens.getToken())
		expect(error).toBeInstanceOf(InvalidTokenResponseError)
		expect(error).toMatchObject({ code: 'INVALID_TOKEN_RESPONSE', reason: 'invalid_access_token' })
		expect(rendered(error, reports)).not.toContain('secret-token-value')
	})

	it('accepts every visible ASCII character (RFC 6749 §A.12)', async () => {
		const visible = Array.from({ length: 0x7e - 0x21 + 1 }, (_, index) => String.fromCharCode(0x21 + index)).join('')
		server.answer((_request, response) => json(response, 200, { access_token: visible, token_type: 'Bearer', expires_in: 60 }))
		await expect(manager().tokens.getToken()).resolves.toMatchObject({ accessToken: visible })
	})
})

// ---------------------------------------------------------------------------------------------------
// Every quoting style of every secret.

const b64 = (text: string) => Buffer.from(text).toString('base64')
const formEncoded = (text: string) => new URLSearchParams({ v: text }).toString().slice(2)
const htmlEscaped = (text: string) => text.replace(/[^A-Za-z0-9]/g, (char) => `&#${char.codePointAt(0)};`)

/** The forms a server may echo a secret in; the test's own encoders, independent of the library's. */
function formsOf(secret: string, basic: boolean): Record<string, string> {
	const percent = encodeURIComponent(secret)
	return {
		raw: secret,
		'form-urlencoded': formEncoded(secret),
		'percent-encoded': percent,
		'percent-encoded, lower-case hex': percent.replace(/%[0-9A-F]{2}/g, (hex) => hex.toLowerCase()),
		'JSON-escaped': JSON.stringify(secret).slice(1, -1).replaceAll('/', '\\/'),
		base64: b64(secret),
		'base64 without padding': b64(secret).replace(/=+$/, ''),
		base64url: Buffer.from(secret).toString('base64url'),
		...(basic && {
			'Basic, raw id:secret': b64(`${CLIENT_ID}:${secret}`),
			'Basic, form-encoded id:secret (RFC 6749 §2.3.1)': b64(`${formEncoded(CLIENT_ID)}:${formEncoded(secret)}`),
		}),
	}
}

/** Where a server puts text it echoes. */
const places: Record<string, (quoted: string, response: ServerResponse) => void> = {
	error_description: (quoted, response) => json(response, 400, { error: 'invalid_request', error_description: `rejected: ${quoted}` }),
	error_uri: (quoted, response) => json(response, 400, { error: 'invalid_request', error_uri: `https://errors.example.com/?q=${quoted}` }),
	'error (an unregistered code)': (quoted, response) => json(response, 400, { error: quoted }),
	'an HTML title on a 200': (quoted, response) =>
		response.writeHead(200, { 'content-type': 'text/html' }).end(`<html><head><title>Denied ${htmlEscaped(quoted)}</title></head></html>`),
	'an HTML page on a 403': (quoted, response) => response.writeHead(403, { 'content-type': 'text/html' }).end(`<html><body><p>Request ${quoted} denied</p></body></html>`),
	'the fields of a 200 without access_token': (quoted, response) => json(response, 200, { [quoted]: '', token_type: 'Bearer' }),
	token_type: (quoted, response) => json(response, 200, { access_token: 'at-1', token_type: quoted, expires_in: 60 }),
	expires_in: (quoted, response) => json(response, 200, { access_token: 'at-1', token_type: 'Bearer', expires_in: quoted }),
}

interface Scenario {
	/** The manager's options beyond the defaults. */
	options: () => Record<string, unknown>
	/** Sends the secret; the server's answer quotes it. */
	trigger: (tokens: TokenManager) => Promise<unknown>
	/** The secret, as the server received it. */
	secretIn: (request: HostileRequest) => string
	/** Whether the Basic header forms apply. */
	basic: boolean
}

const ecKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey

const scenarios: Record<string, Scenario> = {
	'the client secret (client_secret_basic)': {
		options: () => ({}),
		trigger: (tokens) => tokens.getToken(),
		secretIn: () => CLIENT_SECRET,
		basic: true,
	},
	'the client secret (client_secret_post)': {
		options: () => ({ clientAuth: 'client_secret_post' }),
		trigger: (tokens) => tokens.getToken(),
		secretIn: (request) => request.form.get('client_secret') ?? '',
		basic: true,
	},
	'a refresh token': {
		options: () => ({}),
		trigger: async (tokens) => {
			await tokens.exchangeCode({ code: CODE, state: 's', expectedState: 's', redirectUri: REDIRECT_URI, subject: 'holder' })
			return tokens.getToken({ subject: 'holder', forceRefresh: true })
		},
		secretIn: (request) => request.form.get('refresh_token') ?? '',
		basic: false,
	},
	'an authorization code': {
		options: () => ({}),
		trigger: (tokens) => tokens.exchangeCode({ code: CODE, state: 's', expectedState: 's', redirectUri: REDIRECT_URI, subject: 'holder' }),
		secretIn: (request) => request.form.get('code') ?? '',
		basic: false,
	},
	'a client assertion (private_key_jwt)': {
		options: () => ({ clientAuth: 'private_key_jwt', clientSecret: undefined, privateKey: ecKey, algorithm: 'ES256' }),
		trigger: (tokens) => tokens.getToken(),
		secretIn: (request) => request.form.get('client_assertion') ?? '',
		basic: false,
	},
}

describe.each(Object.entries(scenarios))('%s is masked in every form', (_name, scenario) => {
	it.each(Object.keys(places))('quoted in %s', async (place) => {
		const quote = places[place] as (quoted: string, response: ServerResponse) => void
		const secretForms = formsOf(scenario.secretIn({ form: new URLSearchParams(), authorization: undefined, path: '' }) || 'placeholder', scenario.basic)
		for (const form of Object.keys(secretForms)) {
			let secret = ''
			server.answer((request, response) => {
				// The consent before a refresh succeeds and hands out the refresh token.
				if (request.form.get('grant_type') === 'authorization_code' && scenario.secretIn(request) !== request.form.get('code')) {
					json(response, 200, { access_token: 'at-consent', token_type: 'Bearer', expires_in: 3600, refresh_token: REFRESH_TOKEN })
					return
				}
				secret = scenario.secretIn(request)
				quote(formsOf(secret, scenario.basic)[form] as string, response)
			})
			const reports = manager(scenario.options())
			const error = await caught(scenario.trigger(reports.tokens))
			expect(error, form).toBeInstanceOf(TokenWardenError)
			expect(secret.length, form).toBeGreaterThanOrEqual(8)
			const text = rendered(error, reports)
			for (const [name, value] of Object.entries(formsOf(secret, scenario.basic))) {
				expect(text.includes(value), `${form} quoted in ${place} leaked as ${name}`).toBe(false)
			}
			if (place === 'error_description') expect((error as OAuthError).errorDescription, form).toBe('rejected: [redacted]')
		}
	})
})

describe('secrets too short to mask', () => {
	it('quote no server text at all', async () => {
		const short = 'k9+Z'
		server.answer((_request, response) => json(response, 401, { error: 'invalid_client', error_description: `bad secret ${formEncoded(short)} (${short})` }))
		const reports = manager({ clientSecret: short })
		const error = await caught(reports.tokens.getToken())
		expect(error).toBeInstanceOf(OAuthError)
		// The registered error code is kept: the manager and its callers act on it.
		expect(error).toMatchObject({ error: 'invalid_client', status: 401 })
		expect((error as OAuthError).errorDescription).toMatch(/withheld/)
		const text = rendered(error, reports)
		for (const form of [short, formEncoded(short), encodeURIComponent(short)]) expect(text).not.toContain(form)
	})
})

// ---------------------------------------------------------------------------------------------------
// Lifetimes too short to use.

describe('a floor on token lifetimes', () => {
	it('a token living 1 ms is used, reported, and not requested again on every call', async () => {
		server.answer((_request, response) => json(response, 200, { access_token: `at-${server.seen.length}`, token_type: 'Bearer', expires_in: 0.001 }))
		const reports = manager()
		const first = await Promise.all([reports.tokens.getToken(), reports.tokens.getToken()])
		for (let call = 0; call < 5; call++) await reports.tokens.getToken()
		expect(first[0].accessToken).toBe('at-1')
		expect(first[1].accessToken).toBe('at-1')
		expect(server.seen.length).toBe(1)
		expect(reports.events).toContainEqual(expect.objectContaining({ type: 'token', shortLifetime: expect.any(Number) }))
		expect((reports.events.find((event) => event.type === 'token') as { shortLifetime: number }).shortLifetime).toBeLessThan(1000)
		expect(reports.lines.join('\n')).toMatch(/less than a second to live/)
	})
})

import { createHash } from 'node:crypto'
import { normaliseScope } from '@tokenwarden/core'
import type { FetchLike } from '@tokenwarden/core'
import { answerFor, checkFailure, networkFailure, oauthError, type ResponseAnswer, type ScriptedAnswer } from './failures.js'
import { createMinter } from './mint-token.js'
import { resolveServerOptions } from './server-options.js'
import type {
	Approval,
	FailNextOptions,
	IssueCodeOptions,
	IssuedToken,
	RevocationRequest,
	TokenEndpointFailure,
	TokenEndpointRequest,
	TokenServer,
	TokenServerOptions,
} from './types.js'
import { checkClient, type ClientCheck, expectedClient } from './verify-client.js'

/** RFC 6749 §4.1.2: "A maximum authorization code lifetime of 10 minutes is RECOMMENDED." */
const CODE_LIFETIME_MS = 10 * 60 * 1000

interface CodeEntry {
	scope: string[]
	redirectUri: string | undefined
	codeChallenge: string | undefined
	codeChallengeMethod: 'S256' | 'plain'
	subject: string | undefined
	expiresAt: number
	used: boolean
	/** The grant the exchange started, so that a replayed code can revoke it. */
	family: number | undefined
}

interface RefreshEntry {
	/** One consent: the refresh tokens rotated from one authorization code. */
	family: number
	/** The consented scope: a refresh may narrow it, never widen it. */
	scope: string[]
	subject: string | undefined
	expiresAt: number | undefined
	state: 'live' | 'rotated' | 'revoked'
}

interface QueuedFailure {
	failure: TokenEndpointFailure
	remaining: number
	grantType: string | undefined
}

/**
 * A simulated authorization server token endpoint ([RFC 6749 §3.2](https://www.rfc-editor.org/rfc/rfc6749#section-3.2)),
 * in memory: client_credentials (§4.4), authorization_code (§4.1.3, with PKCE per RFC 7636) and
 * refresh_token (§6) grants, refresh token rotation with reuse detection
 * ([RFC 9700 §4.14.2](https://www.rfc-editor.org/rfc/rfc9700#section-4.14.2)), client authentication checks
 * and scripted failures. Times come from `Date.now()`, so fake timers move them.
 *
 * Use it without nock through `fetch` (`createTokenManager({ fetch: server.fetch })`) or `handle`
 * (an msw handler: `http.post(tokenUrl, ({ request }) => server.handle(request))`).
 *
 * @throws TypeError when the options are wrong.
 */
export function createTokenServer(options: TokenServerOptions): TokenServer {
	const config = resolveServerOptions(options)
	const { tokenUrl, revocationUrl } = config
	const expected = expectedClient(options)
	const mint = createMinter(options.tokenFormat, tokenUrl)
	const requests: TokenEndpointRequest[] = []
	const issued: IssuedToken[] = []
	const revocations: RevocationRequest[] = []
	const authFailures: string[] = []
	const failures: QueuedFailure[] = []
	const codes = new Map<string, CodeEntry>()
	const refreshTokens = new Map<string, RefreshEntry>()
	let serial = 0
	let refreshSerial = 0
	let codeSerial = 0
	let families = 0

	async function handle(request: Request): Promise<Response> {
		if (revocationUrl !== undefined && request.url === revocationUrl) return revoke(request)
		if (request.url !== tokenUrl) return new Response(`No token endpoint at ${request.url}`, { status: 404, headers: { 'content-type': 'text/plain' } })
		const form = new URLSearchParams(await request.text())
		const grantType = form.get('grant_type') ?? undefined
		const scope = form.has('scope') ? normaliseScope(form.get('scope') ?? '') : undefined
		const record: TokenEndpointRequest = {
			grantType,
			scope,
			form: redactedForm(form),
			clientId: undefined,
			clientAuth: 'none',
			at: Date.now(),
			status: 0,
			error: undefined,
			errorDescription: undefined,
		}
		requests.push(record)
		const client = await checkClient(request.headers, form, expected)
		record.clientId = client.clientId
		record.clientAuth = client.method
		if (client.error !== undefined) authFailures.push(`request ${requests.length} (${grantType ?? 'no grant_type'}): ${client.reason}`)
		const scripted = takeFailure(grantType)
		if (scripted?.kind === 'network') throw networkFailure()
		const answer = scripted ?? (await answerToken(request, form, grantType, scope, client))
		record.status = answer.response.status
		record.error = answer.error
		record.errorDescription = answer.description
		return answer.response
	}

	async function answerToken(request: Request, form: URLSearchParams, grantType: string | undefined, scope: string[] | undefined, client: ClientCheck): Promise<ResponseAnswer> {
		if (!/^application\/x-www-form-urlencoded\b/i.test(request.headers.get('content-type') ?? '')) {
			return error('invalid_request', 'the token request must be application/x-www-form-urlencoded (RFC 6749 §4.4.2)')
		}
		if (client.error !== undefined) return error(client.error, `client authentication failed: ${client.reason}`)
		switch (grantType) {
			case undefined:
				return error('invalid_request', 'grant_type is required')
			case 'client_credentials':
				return clientCredentials(scope, client)
			case 'authorization_code':
				return authorizationCode(form, client)
			case 'refresh_token':
				return refresh(form, scope, client)
			default:
				return error('unsupported_grant_type', `grant_type ${grantType} is not supported by this endpoint`)
		}
	}

	/** RFC 6749 §4.4.3: an access token, no refresh token. */
	function clientCredentials(requested: string[] | undefined, client: ClientCheck): Promise<ResponseAnswer> | ResponseAnswer {
		const outside = notAllowed(requested ?? [])
		if (outside.length > 0) return error('invalid_scope', `scope not allowed for this client: ${outside.join(' ')}`)
		return grant({ grantType: 'client_credentials', scope: requested ?? config.defaultScope, client, subject: undefined, refresh: undefined })
	}

	/** RFC 6749 §4.1.3 and RFC 7636 §4.6: a code is good once, for its redirect URI and PKCE verifier. */
	function authorizationCode(form: URLSearchParams, client: ClientCheck): Promise<ResponseAnswer> | ResponseAnswer {
		const code = form.get('code')
		if (!code) return error('invalid_request', 'code is required')
		const entry = codes.get(code)
		if (entry === undefined) return error('invalid_grant', 'unknown authorization code (make one with issueCode() or approve())')
		if (entry.used) {
			// RFC 6749 §4.1.2: a replayed code SHOULD revoke the tokens issued with it.
			if (entry.family !== undefined) revokeFamily(entry.family)
			return error('invalid_grant', 'authorization code already used; the tokens issued with it are revoked')
		}
		entry.used = true
		if (Date.now() >= entry.expiresAt) return error('invalid_grant', 'authorization code expired')
		if (entry.redirectUri !== undefined && form.get('redirect_uri') !== entry.redirectUri) {
			return error('invalid_grant', 'redirect_uri differs from the one in the authorization request')
		}
		if (entry.codeChallenge !== undefined) {
			const verifier = form.get('code_verifier')
			if (!verifier) return error('invalid_grant', 'code_verifier is required: the authorization request had a PKCE code_challenge')
			const computed = entry.codeChallengeMethod === 'S256' ? createHash('sha256').update(verifier).digest('base64url') : verifier
			if (computed !== entry.codeChallenge) return error('invalid_grant', 'code_verifier does not match the code_challenge')
		}
		entry.family = ++families
		const refresh = config.refreshTokens ? { family: entry.family, scope: entry.scope } : undefined
		return grant({ grantType: 'authorization_code', scope: entry.scope, client, subject: entry.subject, refresh })
	}

	/** RFC 6749 §6 with rotation: the old refresh token is retired; presenting it again revokes the whole grant. */
	function refresh(form: URLSearchParams, requested: string[] | undefined, client: ClientCheck): Promise<ResponseAnswer> | ResponseAnswer {
		const token = form.get('refresh_token')
		if (!token) return error('invalid_request', 'refresh_token is required')
		const entry = refreshTokens.get(token)
		if (entry === undefined) return error('invalid_grant', 'unknown refresh token')
		if (entry.state === 'revoked') return error('invalid_grant', 'refresh token revoked')
		if (entry.state === 'rotated') {
			revokeFamily(entry.family)
			return error('invalid_grant', 'refresh token reused after rotation; the grant is revoked')
		}
		if (entry.expiresAt !== undefined && Date.now() >= entry.expiresAt) return error('invalid_grant', 'refresh token expired')
		const wider = (requested ?? []).filter((item) => !entry.scope.includes(item))
		if (wider.length > 0) return error('invalid_scope', `scope exceeds the consented scope: ${wider.join(' ')}`)
		if (!config.rotateRefreshTokens) {
			return grant({ grantType: 'refresh_token', scope: requested ?? entry.scope, client, subject: entry.subject, refresh: undefined })
		}
		entry.state = 'rotated'
		return grant({ grantType: 'refresh_token', scope: requested ?? entry.scope, client, subject: entry.subject, refresh: { family: entry.family, scope: entry.scope } })
	}

	/** A successful token response ([RFC 6749 §5.1](https://www.rfc-editor.org/rfc/rfc6749#section-5.1)). */
	async function grant(input: {
		grantType: string
		scope: string[]
		client: ClientCheck
		subject: string | undefined
		refresh: { family: number; scope: string[] } | undefined
	}): Promise<ResponseAnswer> {
		const issuedAt = Date.now()
		const { accessToken, expiresAt } = await mint({
			serial: ++serial,
			issuedAt,
			expiresIn: config.expiresIn,
			scope: input.scope,
			clientId: options.clientId ?? input.client.clientId,
			subject: input.subject,
		})
		let refreshToken: string | undefined
		if (input.refresh !== undefined) {
			refreshToken = `refresh-${++refreshSerial}`
			refreshTokens.set(refreshToken, {
				family: input.refresh.family,
				scope: input.refresh.scope,
				subject: input.subject,
				expiresAt: config.refreshExpiresIn === undefined ? undefined : issuedAt + config.refreshExpiresIn * 1000,
				state: 'live',
			})
		}
		issued.push({ accessToken, refreshToken, grantType: input.grantType, scope: input.scope, subject: input.subject, issuedAt, expiresAt })
		const extra =
			typeof options.responseFields === 'function' ? options.responseFields({ grantType: input.grantType, scope: input.scope, subject: input.subject }) : options.responseFields
		const body: Record<string, unknown> = {
			access_token: accessToken,
			token_type: config.tokenType,
			expires_in: config.expiresIn,
			...(config.echoScope && input.scope.length > 0 ? { scope: input.scope.join(' ') } : {}),
			...(refreshToken === undefined ? {} : { refresh_token: refreshToken }),
			...(refreshToken !== undefined && config.refreshExpiresIn !== undefined ? { refresh_expires_in: config.refreshExpiresIn } : {}),
			...extra,
		}
		// RFC 6749 §5.1: token responses are not cached.
		const response = new Response(JSON.stringify(body), {
			status: 200,
			headers: { 'content-type': 'application/json;charset=UTF-8', 'cache-control': 'no-store', pragma: 'no-cache' },
		})
		return { kind: 'response', response, error: undefined, description: undefined }
	}

	/** RFC 7009 §2: 200 whether or not the token was known; a refresh token takes its grant with it. */
	async function revoke(request: Request): Promise<Response> {
		const form = new URLSearchParams(await request.text())
		const client = await checkClient(request.headers, form, expected)
		const token = form.get('token') ?? ''
		const record: RevocationRequest = {
			token,
			tokenTypeHint: form.get('token_type_hint') ?? undefined,
			clientId: client.clientId,
			clientAuth: client.method,
			at: Date.now(),
			status: 200,
		}
		revocations.push(record)
		let answer: ResponseAnswer | undefined
		if (client.error !== undefined) {
			authFailures.push(`revocation ${revocations.length}: ${client.reason}`)
			answer = error(client.error, `client authentication failed: ${client.reason}`)
		} else if (token === '') {
			answer = error('invalid_request', 'token is required')
		}
		if (answer !== undefined) {
			record.status = answer.response.status
			return answer.response
		}
		const entry = refreshTokens.get(token)
		if (entry !== undefined) revokeFamily(entry.family)
		return new Response(null, { status: 200 })
	}

	function revokeFamily(family: number): void {
		for (const entry of refreshTokens.values()) if (entry.family === family) entry.state = 'revoked'
	}

	function notAllowed(scope: readonly string[]): string[] {
		const allowed = config.scopes
		return allowed === undefined ? [] : scope.filter((item) => !allowed.has(item))
	}

	function takeFailure(grantType: string | undefined): ScriptedAnswer | undefined {
		const index = failures.findIndex((queued) => queued.grantType === undefined || queued.grantType === grantType)
		const queued = failures[index]
		if (queued === undefined) return undefined
		if (--queued.remaining === 0) failures.splice(index, 1)
		return answerFor(queued.failure)
	}

	function issueCode(request: IssueCodeOptions = {}): string {
		if (typeof request !== 'object' || request === null) throw new TypeError('tokenwarden: issueCode options must be an object')
		const code = request.code ?? `code-${++codeSerial}`
		if (typeof code !== 'string' || code === '') throw new TypeError('tokenwarden: issueCode code must be a non-empty string')
		const scope = request.scope === undefined ? config.defaultScope : normaliseScope(request.scope)
		const outside = notAllowed(scope)
		if (outside.length > 0) throw new TypeError(`tokenwarden: issueCode scope not allowed by the scopes option: ${outside.join(' ')}`)
		const method = request.codeChallengeMethod ?? 'S256'
		if (method !== 'S256' && method !== 'plain') throw new TypeError('tokenwarden: codeChallengeMethod must be S256 or plain')
		codes.set(code, {
			scope,
			redirectUri: request.redirectUri,
			codeChallenge: request.codeChallenge,
			codeChallengeMethod: method,
			subject: request.subject,
			expiresAt: Date.now() + CODE_LIFETIME_MS,
			used: false,
			family: undefined,
		})
		return code
	}

	function approve(authorizationUrl: string, approval: { subject?: string | undefined } = {}): Approval {
		let url: URL
		try {
			url = new URL(authorizationUrl)
		} catch {
			throw new TypeError('tokenwarden: approve needs the authorization URL (from tokens.authorizationUrl())')
		}
		const params = url.searchParams
		if (params.get('response_type') !== 'code') refuse(`response_type is ${JSON.stringify(params.get('response_type'))}, not "code"`)
		const clientId = params.get('client_id')
		if (options.clientId !== undefined && clientId !== options.clientId) refuse(`client_id is ${JSON.stringify(clientId)}, not "${options.clientId}"`)
		const redirectUri = params.get('redirect_uri')
		if (!redirectUri) refuse('redirect_uri is missing')
		if (!URL.canParse(redirectUri)) refuse('redirect_uri is not an absolute URL')
		// RFC 6749 §10.12: the client must bind the request to the browser; tokenwarden always sends a state.
		const state = params.get('state')
		if (!state) refuse('state is missing')
		const scope = params.has('scope') ? normaliseScope(params.get('scope') ?? '') : config.defaultScope
		const outside = notAllowed(scope)
		if (outside.length > 0) refuse(`scope not allowed: ${outside.join(' ')}`)
		const method = params.get('code_challenge_method') ?? 'plain'
		if (params.has('code_challenge') && method !== 'S256' && method !== 'plain') refuse(`code_challenge_method ${method} is not supported`)
		const code = issueCode({
			scope,
			redirectUri,
			codeChallenge: params.get('code_challenge') ?? undefined,
			codeChallengeMethod: method as 'S256' | 'plain',
			subject: approval.subject,
		})
		const callback = new URL(redirectUri)
		callback.searchParams.set('code', code)
		callback.searchParams.set('state', state)
		return { code, state, callbackUrl: callback.href }
	}

	function refuse(why: string): never {
		throw new Error(`tokenwarden: the mock authorization server refuses this authorization request: ${why}`)
	}

	const fetch: FetchLike = async (input, init) => {
		const request = new Request(input, init)
		if (request.url !== tokenUrl && request.url !== revocationUrl) {
			const { origin, pathname } = new URL(request.url)
			throw new TypeError('fetch failed', { cause: new Error(`tokenwarden: this token server answers ${tokenUrl}, not ${origin}${pathname}`) })
		}
		return handle(request)
	}

	return {
		tokenUrl,
		requests,
		issued,
		revocations,
		authFailures,
		count: (grantType) => (grantType === undefined ? requests.length : requests.filter((request) => request.grantType === grantType).length),
		failNext(failure, where: FailNextOptions = {}) {
			checkFailure(failure)
			const times = where.times ?? 1
			if (!Number.isInteger(times) || times < 1) throw new TypeError('tokenwarden: failNext times must be a positive integer')
			failures.push({ failure, remaining: times, grantType: where.grantType })
		},
		issueCode,
		approve,
		revokeRefreshTokens() {
			for (const entry of refreshTokens.values()) entry.state = 'revoked'
		},
		verify() {
			const problems: string[] = []
			if (authFailures.length > 0) problems.push(`client authentication failed:\n  - ${authFailures.join('\n  - ')}`)
			if (failures.length > 0) {
				const left = failures.map((queued) => `${describeFailure(queued.failure)} x${queued.remaining}${queued.grantType ? ` (${queued.grantType})` : ''}`)
				problems.push(`failNext failures never used: ${left.join(', ')}`)
			}
			if (problems.length > 0) throw new Error(`tokenwarden: mock token endpoint ${tokenUrl}: ${problems.join('\n')}`)
		},
		handle,
		fetch,
	}
}

function error(code: string, description: string): ResponseAnswer {
	return oauthError(code, description)
}

/** The form as a record, without the client secret (the record may end up in a test's failure output). */
function redactedForm(form: URLSearchParams): Record<string, string> {
	const record = Object.fromEntries(form)
	if (record.client_secret !== undefined) record.client_secret = '[redacted]'
	return record
}

function describeFailure(failure: TokenEndpointFailure): string {
	if (typeof failure === 'string') return failure
	return 'error' in failure ? failure.error : `HTTP ${failure.status}`
}

// Imitation of Banco BS2 api-banking (shared/seeds/003, "Consent"): an account holder consents through
// BS2's pages (login, then a second factor), BS2 redirects back with code and state, the partner
// exchanges the code with HTTP Basic, and refresh tokens rotate on every refresh. A refresh must carry
// the scope; a refresh token that was already used is refused with invalid_grant.
import { createHash, randomBytes, randomUUID } from 'node:crypto'
import type { ServerResponse } from 'node:http'
import { listen, oauthError, readForm, redirect, scopeList, sendJson, refusedBasicClient } from './http.ts'
import type { TokenRegistry } from './registry.ts'
import { type AuthServer, PROBE_HEADER, SlidingWindow, TokenEndpointLog } from './token-endpoint.ts'

export interface Bs2BankingServerOptions {
	clientId: string
	clientSecret: string
	/** Redirect URIs registered for this client. */
	redirectUris: readonly string[]
	allowedScopes: readonly string[]
	/** The one account holder who can log in: subject, login, password and the SMS code. */
	holder: { subject: string; login: string; password: string; otp: string }
	registry: TokenRegistry
	lifetimeSeconds: number
	throttle: { limit: number; window: number }
	/** How long an authorization code can be exchanged, in ms. */
	codeLifetime: number
}

export interface Bs2BankingServer extends AuthServer {
	authorizeUrl: string
	/** Refresh requests by the manager that presented an already rotated refresh token. */
	refreshReuses(): number
	/** Refresh requests by the manager without the scope BS2 requires. */
	refreshesWithoutScope(): number
	/** A refresh token of this holder that has been rotated away, as a stale copy would hold it. */
	spentRefreshToken(subject: string): string | undefined
	/** The holder withdraws consent in BS2's app: the refresh token and every access token of the grant stop working. */
	withdrawConsent(subject: string): void
}

const TOKEN_PATH = '/auth/oauth/v2/token'
const AUTHORIZE_PATH = '/api-banking/auth/oauth/v2/authorize'
const LOGIN_PATH = '/api-banking/auth/login'

/** A consent request waiting for the holder to log in. */
interface PendingConsent {
	redirectUri: string
	scope: string[]
	state: string
	codeChallenge: string | undefined
}

interface IssuedCode extends PendingConsent {
	subject: string
	expiresAt: number
	used: boolean
}

/** One holder's consent: its current refresh token and the ones rotated away. */
interface Grant {
	subject: string
	scope: string[]
	current: string
	spent: string[]
	withdrawn: boolean
}

export async function startBs2Banking(options: Bs2BankingServerOptions): Promise<Bs2BankingServer> {
	const log = new TokenEndpointLog()
	const window = new SlidingWindow(options.throttle)
	const pending = new Map<string, PendingConsent>()
	const codes = new Map<string, IssuedCode>()
	const grants = new Map<string, Grant>()
	let reuses = 0
	let withoutScope = 0

	function grantOf(refreshToken: string): Grant | undefined {
		for (const grant of grants.values()) if (grant.current === refreshToken || grant.spent.includes(refreshToken)) return grant
		return undefined
	}

	/** A new access token (and rotated refresh token) for a grant; the previous access token stops working. */
	function issue(response: ServerResponse, grant: Grant, scope: string[]): void {
		options.registry.withdrawWhere((token) => token.provider === 'bs2Banking' && token.subject === grant.subject, 'replaced by a newer token')
		const accessToken = randomUUID()
		options.registry.issue(accessToken, {
			provider: 'bs2Banking',
			clientId: options.clientId,
			subject: grant.subject,
			scope,
			expiresAt: Date.now() + options.lifetimeSeconds * 1000,
		})
		sendJson(response, 200, {
			access_token: accessToken,
			token_type: 'Bearer',
			expires_in: options.lifetimeSeconds,
			refresh_token: grant.current,
			scope: scope.join(' '),
		})
	}

	const server = await listen(async (request, response, url) => {
		// 1. The partner sends the holder here (RFC 6749 §4.1.1); BS2 shows its login page.
		if (request.method === 'GET' && url.pathname === AUTHORIZE_PATH) {
			const query = url.searchParams
			const redirectUri = query.get('redirect_uri') ?? ''
			// RFC 6749 §4.1.2.1: with an unknown client or redirect URI, tell the holder, never redirect.
			if (query.get('client_id') !== options.clientId || !options.redirectUris.includes(redirectUri)) {
				response.writeHead(400, { 'content-type': 'text/plain' })
				return void response.end('Unknown client or redirect_uri')
			}
			const state = query.get('state') ?? ''
			const scope = scopeList(query.get('scope'))
			const refuse = (error: string) => redirect(response, `${redirectUri}?${new URLSearchParams({ error, state })}`)
			if (query.get('response_type') !== 'code') return refuse('unsupported_response_type')
			if (scope.length === 0 || scope.some((entry) => !options.allowedScopes.includes(entry))) return refuse('invalid_scope')
			const codeChallenge = query.get('code_challenge') ?? undefined
			if (codeChallenge !== undefined && query.get('code_challenge_method') !== 'S256') return refuse('invalid_request')
			const id = randomUUID()
			pending.set(id, { redirectUri, scope, state, codeChallenge })
			return redirect(response, `${LOGIN_PATH}?${new URLSearchParams({ request: id })}`)
		}
		// 2. BS2's login page: the holder's login and password, then the second factor (SMS code).
		if (request.method === 'GET' && url.pathname === LOGIN_PATH) {
			if (!pending.has(url.searchParams.get('request') ?? '')) return sendJson(response, 404, { error: 'not_found' })
			response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
			return void response.end(
				'<!doctype html><title>BS2 - consent</title><form method="post">' +
					'<input name="login"><input name="password" type="password"><input name="otp" placeholder="SMS code">' +
					'<button>Authorize</button></form>',
			)
		}
		// 3. The holder approves: back to the partner with code and state (RFC 6749 §4.1.2).
		if (request.method === 'POST' && url.pathname === LOGIN_PATH) {
			const id = url.searchParams.get('request') ?? ''
			const consent = pending.get(id)
			if (consent === undefined) return sendJson(response, 404, { error: 'not_found' })
			const form = await readForm(request)
			const { holder } = options
			if (form.get('login') !== holder.login || form.get('password') !== holder.password || form.get('otp') !== holder.otp) {
				response.writeHead(401, { 'content-type': 'text/plain' })
				return void response.end('Login failed')
			}
			pending.delete(id)
			const code = randomBytes(16).toString('base64url')
			codes.set(code, { ...consent, subject: holder.subject, expiresAt: Date.now() + options.codeLifetime, used: false })
			return redirect(response, `${consent.redirectUri}?${new URLSearchParams({ code, state: consent.state })}`)
		}
		if (request.method !== 'POST' || url.pathname !== TOKEN_PATH) return sendJson(response, 404, { error: 'not_found' })

		// 4. The token endpoint: authorization_code and refresh_token grants, HTTP Basic.
		const form = await readForm(request)
		if (log.begin(request, response, form.get('grant_type'))) return
		// Basic credentials as the provider's document shows them: id:secret, not form-urlencoded.
		if (refusedBasicClient(request, response, options, { realm: 'bs2', description: 'Invalid API key or secret', encoding: 'raw' })) return
		if (window.exceeded()) {
			return oauthError(response, 429, 'too_many_requests', 'Token request limit reached', { 'retry-after': String(window.secondsUntilFree()) })
		}
		const probe = request.headers[PROBE_HEADER] !== undefined
		const grantType = form.get('grant_type')

		if (grantType === 'authorization_code') {
			const issued = codes.get(form.get('code') ?? '')
			if (issued === undefined || issued.used || Date.now() >= issued.expiresAt) {
				return oauthError(response, 400, 'invalid_grant', 'Authorization code is invalid, expired or already used')
			}
			issued.used = true
			if (form.get('redirect_uri') !== issued.redirectUri) return oauthError(response, 400, 'invalid_grant', 'redirect_uri does not match')
			// RFC 7636 §4.6: S256 of the verifier must equal the challenge sent with the authorization request.
			if (issued.codeChallenge !== undefined) {
				const verifier = form.get('code_verifier') ?? ''
				if (createHash('sha256').update(verifier).digest('base64url') !== issued.codeChallenge) {
					return oauthError(response, 400, 'invalid_grant', 'PKCE verification failed')
				}
			}
			const grant: Grant = { subject: issued.subject, scope: issued.scope, current: newRefreshToken(), spent: [], withdrawn: false }
			grants.set(issued.subject, grant)
			return issue(response, grant, issued.scope)
		}

		if (grantType === 'refresh_token') {
			const presented = form.get('refresh_token') ?? ''
			const scope = scopeList(form.get('scope'))
			if (scope.length === 0) {
				if (!probe) withoutScope++
				return oauthError(response, 400, 'invalid_request', 'scope is required on refresh')
			}
			const grant = grantOf(presented)
			if (grant === undefined || grant.withdrawn) return oauthError(response, 400, 'invalid_grant', 'Refresh token is invalid or consent was withdrawn')
			if (grant.current !== presented) {
				if (!probe) reuses++
				return oauthError(response, 400, 'invalid_grant', 'Refresh token was already used')
			}
			if (scope.some((entry) => !grant.scope.includes(entry))) return oauthError(response, 400, 'invalid_scope', 'Scope exceeds the consent')
			// Rotation: every refresh issues a new refresh token; the presented one is spent.
			grant.spent.push(grant.current)
			grant.current = newRefreshToken()
			return issue(response, grant, scope)
		}

		oauthError(response, 400, 'unsupported_grant_type', 'Use authorization_code or refresh_token')
	})

	return {
		name: 'bs2Banking',
		origin: server.origin,
		tokenUrl: server.origin + TOKEN_PATH,
		authorizeUrl: server.origin + AUTHORIZE_PATH,
		log,
		refreshReuses: () => reuses,
		refreshesWithoutScope: () => withoutScope,
		spentRefreshToken: (subject) => grants.get(subject)?.spent.at(-1),
		withdrawConsent(subject) {
			const grant = grants.get(subject)
			if (grant !== undefined) grant.withdrawn = true
			options.registry.withdrawWhere((token) => token.provider === 'bs2Banking' && token.subject === subject, 'consent withdrawn')
		},
		close: server.close,
	}
}

function newRefreshToken(): string {
	return randomBytes(32).toString('base64url')
}

// Imitation of Banco BS2's Pix token endpoint (shared/seeds/002, "Autenticação"): client_credentials
// with HTTP Basic and a required scope, short-lived tokens (300 s in production), a new token
// invalidating the client's previous one, and about ten token requests a minute before it throttles.
import { randomUUID } from 'node:crypto'
import { listen, oauthError, readForm, scopeList, sendJson, refusedBasicClient } from './http.ts'
import type { TokenRegistry } from './registry.ts'
import { type AuthServer, SlidingWindow, TokenEndpointLog } from './token-endpoint.ts'

export interface Bs2ServerOptions {
	clientId: string
	clientSecret: string
	allowedScopes: readonly string[]
	registry: TokenRegistry
	lifetimeSeconds: number
	/** More token requests than `limit` within `window` ms are answered 429 with Retry-After. */
	throttle: { limit: number; window: number }
}

export interface Bs2Server extends AuthServer {
	/** Token requests answered 429. */
	throttled(): number
}

const TOKEN_PATH = '/auth/oauth/v2/token'

export async function startBs2(options: Bs2ServerOptions): Promise<Bs2Server> {
	const log = new TokenEndpointLog()
	const window = new SlidingWindow(options.throttle)
	let throttled = 0

	const server = await listen(async (request, response, url) => {
		if (request.method !== 'POST' || url.pathname !== TOKEN_PATH) return sendJson(response, 404, { error: 'not_found' })
		const form = await readForm(request)
		if (log.begin(request, response, form.get('grant_type'))) return
		// Basic credentials as the provider's document shows them: id:secret, not form-urlencoded.
		if (refusedBasicClient(request, response, options, { realm: 'bs2', description: 'Invalid API key or secret', encoding: 'raw' })) return
		if (window.exceeded()) {
			throttled++
			return oauthError(response, 429, 'too_many_requests', 'Token request limit reached', { 'retry-after': String(window.secondsUntilFree()) })
		}
		if (form.get('grant_type') !== 'client_credentials') {
			return oauthError(response, 400, 'unsupported_grant_type', 'Only client_credentials is supported here')
		}
		const scope = scopeList(form.get('scope'))
		if (scope.length === 0) return oauthError(response, 400, 'invalid_scope', 'scope is required')
		const unknown = scope.filter((entry) => !options.allowedScopes.includes(entry))
		if (unknown.length > 0) return oauthError(response, 400, 'invalid_scope', `Scope not granted to this API key: ${unknown.join(' ')}`)
		// One live token per client: issuing a new one retires the previous one at once.
		options.registry.withdrawWhere((token) => token.provider === 'bs2' && token.clientId === options.clientId, 'replaced by a newer token')
		const accessToken = randomUUID()
		options.registry.issue(accessToken, {
			provider: 'bs2',
			clientId: options.clientId,
			scope,
			expiresAt: Date.now() + options.lifetimeSeconds * 1000,
		})
		sendJson(response, 200, { access_token: accessToken, token_type: 'Bearer', expires_in: options.lifetimeSeconds, scope: scope.join(' ') })
	})

	return {
		name: 'bs2',
		origin: server.origin,
		tokenUrl: server.origin + TOKEN_PATH,
		log,
		throttled: () => throttled,
		close: server.close,
	}
}

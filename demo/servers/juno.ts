// Imitation of Juno's authorization server (shared/seeds/000, "Generating an Authorization Server"):
// client_credentials with HTTP Basic, a JWT access token whose `exp` says when it expires,
// token_type "bearer" in lower case, and a client that asks for tokens too often gets blocked.
import { createHmac, randomBytes, randomUUID } from 'node:crypto'
import { listen, oauthError, readForm, sendJson, refusedBasicClient } from './http.ts'
import type { TokenRegistry } from './registry.ts'
import { type AuthServer, SlidingWindow, TokenEndpointLog } from './token-endpoint.ts'

export interface JunoServerOptions {
	clientId: string
	clientSecret: string
	registry: TokenRegistry
	lifetimeSeconds: number
	/** More token requests than `limit` within `window` ms blocks the client for `blockFor` ms. */
	block: { limit: number; window: number }
	blockFor: number
}

const TOKEN_PATH = '/authorization-server/oauth/token'

export interface JunoServer extends AuthServer {
	/** Token requests refused because the client was blocked. */
	blocked(): number
}

export async function startJuno(options: JunoServerOptions): Promise<JunoServer> {
	const log = new TokenEndpointLog()
	const window = new SlidingWindow(options.block)
	const signingKey = randomBytes(32)
	let blockedUntil = 0
	let blocked = 0

	const server = await listen(async (request, response, url) => {
		if (request.method !== 'POST' || url.pathname !== TOKEN_PATH) return sendJson(response, 404, { error: 'not_found' })
		const form = await readForm(request)
		if (log.begin(request, response, form.get('grant_type'))) return
		// Basic credentials as the provider's document shows them: id:secret, not form-urlencoded.
		if (refusedBasicClient(request, response, options, { realm: 'oauth2/client', description: 'Bad client credentials', encoding: 'raw' })) return
		const now = Date.now()
		// "Massive requests to this endpoint may be blocked": every request counts, blocked ones too.
		if (window.exceeded(now)) blockedUntil = now + options.blockFor
		if (now < blockedUntil) {
			blocked++
			return oauthError(response, 403, 'access_denied', 'Client blocked: too many token requests')
		}
		if (form.get('grant_type') !== 'client_credentials') {
			return oauthError(response, 400, 'unsupported_grant_type', 'Only client_credentials is supported')
		}
		// Like a JWT issuer: whole seconds, exp = iat + lifetime.
		const iat = Math.floor(now / 1000)
		const exp = iat + options.lifetimeSeconds
		const jti = randomUUID()
		const accessToken = signJwt({ user_name: 'demo@tokenwarden.test', scope: ['all'], iat, exp, jti, client_id: options.clientId }, signingKey)
		options.registry.issue(accessToken, { provider: 'juno', clientId: options.clientId, scope: ['all'], expiresAt: exp * 1000 })
		// Juno's example: expires_in one second short of the lifetime, scope "all", token_type in lower case.
		sendJson(response, 200, {
			access_token: accessToken,
			token_type: 'bearer',
			expires_in: options.lifetimeSeconds - 1,
			scope: 'all',
			user_name: 'demo@tokenwarden.test',
			jti,
		})
	})

	return {
		name: 'juno',
		origin: server.origin,
		tokenUrl: server.origin + TOKEN_PATH,
		log,
		blocked: () => blocked,
		close: server.close,
	}
}

/** A compact JWS ([RFC 7515](https://www.rfc-editor.org/rfc/rfc7515)) with HS256: enough for an imitation; Juno signs with RS256. */
function signJwt(claims: Record<string, unknown>, key: Buffer): string {
	const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')
	const input = `${encode({ alg: 'HS256', typ: 'JWT' })}.${encode(claims)}`
	return `${input}.${createHmac('sha256', key).update(input).digest('base64url')}`
}

// Imitation of Bankly's token endpoint (shared/seeds/001, "Token para gerar certificado mTLS"):
// client_credentials with client_id and client_secret in the form body, a required scope of at most
// ten entries, and `expires_in` as an ISO timestamp string ("YYYY-MM-DDTHH:mm:SS.MMMZ").
import { randomBytes } from 'node:crypto'
import { listen, oauthError, readForm, scopeList, sendJson } from './http.ts'
import type { TokenRegistry } from './registry.ts'
import { type AuthServer, TokenEndpointLog } from './token-endpoint.ts'

export interface BanklyServerOptions {
	clientId: string
	clientSecret: string
	/** Scopes this client may ask for. */
	allowedScopes: readonly string[]
	registry: TokenRegistry
	lifetimeSeconds: number
	maxScopes: number
}

const TOKEN_PATH = '/connect/token'

export async function startBankly(options: BanklyServerOptions): Promise<AuthServer> {
	const log = new TokenEndpointLog()

	const server = await listen(async (request, response, url) => {
		if (request.method !== 'POST' || url.pathname !== TOKEN_PATH) return sendJson(response, 404, { error: 'not_found' })
		const form = await readForm(request)
		if (log.begin(request, response, form.get('grant_type'))) return
		// Bankly reads the credentials from the body, not from an Authorization header.
		if (form.get('client_id') !== options.clientId || form.get('client_secret') !== options.clientSecret) {
			return oauthError(response, 401, 'invalid_client', 'Invalid client credentials')
		}
		if (form.get('grant_type') !== 'client_credentials') {
			return oauthError(response, 400, 'unsupported_grant_type', 'Only client_credentials is supported')
		}
		const scope = scopeList(form.get('scope'))
		if (scope.length === 0) return oauthError(response, 400, 'invalid_scope', 'scope is required')
		if (scope.length > options.maxScopes) return oauthError(response, 400, 'invalid_scope', `At most ${options.maxScopes} scopes per token`)
		const unknown = scope.filter((entry) => !options.allowedScopes.includes(entry))
		if (unknown.length > 0) return oauthError(response, 400, 'invalid_scope', `Scope not allowed for this client: ${unknown.join(' ')}`)
		const accessToken = randomBytes(24).toString('base64url')
		const expiresAt = Date.now() + options.lifetimeSeconds * 1000
		options.registry.issue(accessToken, { provider: 'bankly', clientId: options.clientId, scope, expiresAt })
		sendJson(response, 200, {
			access_token: accessToken,
			// As documented: a timestamp, not a number of seconds.
			expires_in: new Date(expiresAt).toISOString(),
			token_type: 'Bearer',
			scope: scope.join(' '),
		})
	})

	return { name: 'bankly', origin: server.origin, tokenUrl: server.origin + TOKEN_PATH, log, close: server.close }
}

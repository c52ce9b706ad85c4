import { type AcquireContext, type AcquireMode, acquire, keepToken } from './acquisition.js'
import { clientCredentialsGrant, type ExtraParams } from './grants.js'
import type { Target } from './target.js'
import { requestToken, type TokenEndpointContext } from './token-endpoint.js'
import type { Token } from './types/token.js'

export interface ClientTokenContext extends AcquireContext {
	readonly endpoint: TokenEndpointContext
	readonly tokenUrl: string
	readonly tokenParams: ExtraParams
}

/** A client credentials token ([RFC 6749 §4.4](https://www.rfc-editor.org/rfc/rfc6749#section-4.4)) for a target, through the shared store and its lock. */
export function obtainClientToken(context: ClientTokenContext, target: Target, mode: AcquireMode, signal: AbortSignal): Promise<Token> {
	return acquire(context, target, mode, target.key, async () => {
		const requestedAt = context.clock.now()
		const response = await requestToken(context.endpoint, context.tokenUrl, clientCredentialsGrant(target.scope, context.tokenParams), { key: target.key, signal })
		return keepToken(context, target, response, requestedAt, 'client_credentials')
	})
}

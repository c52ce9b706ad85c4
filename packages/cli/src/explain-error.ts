import { InvalidTokenResponseError, OAuthError, TokenEndpointError, TokenWardenError } from '@tokenwarden/core'
import { UsageError } from './args.js'

/** Exit codes: documented in the README and `--help`. */
export const EXIT = {
	/** The command did what it was asked. */
	ok: 0,
	/** No token: the token endpoint refused, failed, or answered something unusable. */
	token: 1,
	/** The command line (or the configuration it describes) is wrong. */
	usage: 2,
	/** A token came, but a `--probe` did not answer 2xx. */
	probe: 3,
} as const

/** An error as the CLI reports it: one line, a hint, and the exit code. */
export interface Explained {
	exit: number
	/** `code` of the error: the core's (`OAUTH_ERROR`, …), `USAGE`, or `INTERNAL`. */
	code: string
	/** The OAuth error code, for an {@link OAuthError}. */
	error?: string | undefined
	status?: number | undefined
	message: string
	hint: string | undefined
}

/** What the user can do about each OAuth error ([RFC 6749 §5.2](https://www.rfc-editor.org/rfc/rfc6749#section-5.2)). */
function oauthHint(error: OAuthError, clientAuth: string): string | undefined {
	switch (error.error) {
		case 'invalid_client':
			return `check client id/secret and the client authentication method the provider expects: ${clientAuth}`
		case 'invalid_scope':
			return 'the provider refuses this scope: check --scope against the scopes your client is registered for'
		case 'unauthorized_client':
			return 'this client may not use this grant: check what the provider enabled for it'
		case 'invalid_grant':
			return 'the code or refresh token is spent, expired, or was issued for another redirect URI or PKCE verifier: start again with authorize'
		case 'unsupported_grant_type':
			return 'the endpoint does not offer this grant: check --token-url'
		case 'invalid_request':
			return 'the provider finds the request incomplete: check the preset, --scope and --client-auth'
		default:
			return undefined
	}
}

/** Turns anything a command threw into one readable line, a hint and an exit code. Core errors are secret-free by contract. */
export function explainError(error: unknown, clientAuth = 'client_secret_basic'): Explained {
	if (error instanceof UsageError) return { exit: EXIT.usage, code: error.code, message: error.message, hint: error.hint ?? 'see tokenwarden --help' }
	if (error instanceof OAuthError) {
		return { exit: EXIT.token, code: error.code, error: error.error, status: error.status, message: error.message, hint: oauthHint(error, clientAuth) }
	}
	if (error instanceof TokenEndpointError) {
		return { exit: EXIT.token, code: error.code, status: error.status, message: error.message, hint: endpointHint(error) }
	}
	if (error instanceof InvalidTokenResponseError) {
		const hint = error.reason === 'html' || error.reason === 'not_json' ? 'that URL is not a token endpoint (or a proxy answered): check --token-url' : undefined
		return { exit: EXIT.token, code: error.code, status: error.status, message: error.message, hint }
	}
	if (error instanceof TokenWardenError) {
		const hints: Record<string, string> = {
			STATE_MISMATCH: '--state must be the state printed by authorize, and the callback the one that came back',
			CONSENT_REQUIRED: 'run authorize again and have the account holder consent',
			RATE_LIMITED: 'the preset caps token requests per minute: wait a minute',
			CONSENT_DENIED: 'the account holder did not consent, or the provider refused the request: run authorize again',
		}
		return { exit: EXIT.token, code: error.code, message: error.message, hint: hints[error.code] }
	}
	// The core's configuration checks: a TypeError naming the option.
	if (error instanceof TypeError && error.message.startsWith('tokenwarden: ')) {
		return { exit: EXIT.usage, code: 'USAGE', message: error.message.slice('tokenwarden: '.length), hint: 'see tokenwarden --help' }
	}
	const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error)
	return { exit: EXIT.token, code: 'INTERNAL', message, hint: undefined }
}

function endpointHint(error: TokenEndpointError): string | undefined {
	if (error.status === 404 || error.status === 405) return 'nothing answers token requests there: check --token-url (and --environment)'
	if (error.status === 429 || error.retryAfter !== undefined) return 'the provider is rate limiting this client: wait before trying again'
	if (error.status !== undefined && error.status >= 500) return 'the provider is failing: try again later'
	if (/certificate|TLS|SSL|handshake/i.test(error.message)) return 'check --cert, --key and --ca (the provider must trust the certificate, and you its server)'
	if (error.status === undefined) return 'the token endpoint could not be reached: check --token-url, the network and any proxy'
	return undefined
}

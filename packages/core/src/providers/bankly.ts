import { checkScopeCount } from '../resolve-options.js'
import { normaliseScope } from '../scope.js'
import type { ClientSecretOptions, TlsClientAuthOptions, TlsOptions } from '../types/options.js'
import { checkPresetOptions, type Environment, presetUrl, requireString, resolveEnvironment } from './environment.js'
import { presetOptions } from './preset-options.js'

/** Options of the {@link bankly} preset. */
export interface BanklyOptions {
	/** Bankly's sandbox or production. */
	environment: Environment
	/** The client id Bankly issued. */
	clientId: string
	/** For the secret flow (login.*.bankly.com.br). Leave out and pass `tls` for mutual TLS. */
	clientSecret?: string | undefined
	/** Bankly requires a scope on every token request: at most 10 scopes. */
	scope: string | readonly string[]
	/** Partner certificate: selects the mutual TLS endpoint with tls_client_auth (RFC 8705). */
	tls?: TlsOptions | undefined
	/** Token endpoint override. Default: Bankly's documented one for the environment and method. */
	tokenUrl?: string | undefined
	/** Authorization endpoint, for the consent flow (the provider documents none). */
	authorizeUrl?: string | undefined
}

// Bankly "Token" page (shared/seeds/001): POST https://login.sandbox.bankly.com.br/connect/token;
// production and the mTLS hosts are those of Bankly's public SDKs (login.bankly.com.br, auth-mtls.*).
const SECRET_URLS = {
	sandbox: 'https://login.sandbox.bankly.com.br/connect/token',
	production: 'https://login.bankly.com.br/connect/token',
} as const
const MTLS_URLS = {
	sandbox: 'https://auth-mtls.sandbox.bankly.com.br/oauth2/token',
	production: 'https://auth-mtls.bankly.com.br/oauth2/token',
} as const

/** Bankly's documented cap: "até dez scopes para cada token gerado". */
export const BANKLY_MAX_SCOPES = 10

/**
 * Bankly: client_credentials with client_id and client_secret in the form body, or mutual TLS with
 * tls_client_auth; a required scope of at most 10 entries (more is a TypeError before any request);
 * `expires_in` may arrive as an ISO timestamp string (handled by the core).
 */
export function bankly(options: BanklyOptions): ClientSecretOptions | TlsClientAuthOptions {
	checkPresetOptions(options, 'bankly', presetOptions('bankly'))
	const environment = resolveEnvironment(options.environment, 'bankly')
	const scope = options.scope
	if (scope === undefined || (typeof scope === 'string' ? scope.trim() === '' : scope.length === 0)) {
		throw new TypeError('tokenwarden: bankly needs scope (Bankly requires one on every token request)')
	}
	// Caught here, not at the first request: Bankly would only answer with an error.
	checkScopeCount(normaliseScope(scope), BANKLY_MAX_SCOPES)
	const common = {
		clientId: requireString(options.clientId, 'bankly', 'clientId'),
		scope,
		maxScopes: BANKLY_MAX_SCOPES,
		rateLimit: { limit: 10, interval: 60_000 },
		...(options.authorizeUrl === undefined ? {} : { authorizeUrl: options.authorizeUrl }),
	}
	if (options.tls !== undefined && options.clientSecret === undefined) {
		return {
			...common,
			tokenUrl: presetUrl(options.tokenUrl, MTLS_URLS[environment], 'bankly', 'tokenUrl', environment),
			clientAuth: 'tls_client_auth',
			tls: options.tls,
		}
	}
	return {
		...common,
		tokenUrl: presetUrl(options.tokenUrl, SECRET_URLS[environment], 'bankly', 'tokenUrl', environment),
		clientAuth: 'client_secret_post',
		clientSecret: requireString(options.clientSecret, 'bankly', 'clientSecret (or tls for mutual TLS)'),
		...(options.tls ? { tls: options.tls } : {}),
	}
}

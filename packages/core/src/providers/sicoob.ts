import type { RateLimitOptions } from '../types/options.js'
import type { TlsClientAuthOptions, TlsOptions } from '../types/options.js'
import { authorizeUrlOption, checkPresetOptions, type Environment, presetUrl, requireScope, requireString, requireTls, resolveEnvironment } from './environment.js'
import { presetOptions } from './preset-options.js'
import { type ApiRequestDecoration, decoration } from './request-decoration.js'

/** Options of the {@link sicoob} preset. */
export interface SicoobOptions {
	/** `'production'`; the sandbox hands out a fixed token and has no token endpoint, so it needs `tokenUrl`. */
	environment: Environment
	/** The client_id of the application registered on developers.sicoob.com.br. */
	clientId: string
	/** The e-CNPJ / ICP-Brasil certificate registered with the application: it is the credential (no secret). */
	tls: TlsOptions
	/** Required on every token request, space separated (for example `cob.read cob.write pix.read`). */
	scope: string | readonly string[]
	/** Token endpoint override; required for the sandbox. */
	tokenUrl?: string | undefined
	/** Authorization endpoint, for the consent flow (Sicoob documents none here). */
	authorizeUrl?: string | undefined
}

// Sicoob developer portal (https://developers.sicoob.com.br, "Autenticação"): a Keycloak realm,
// POST auth.sicoob.com.br/auth/realms/cooperado/protocol/openid-connect/token with grant_type,
// client_id and scope in the form body and the registered certificate over mutual TLS, no client secret.
// The sandbox uses a fixed bearer token from the portal instead of a token endpoint.
const DOCS = 'https://developers.sicoob.com.br'
const PRODUCTION_TOKEN_URL = 'https://auth.sicoob.com.br/auth/realms/cooperado/protocol/openid-connect/token'

/**
 * Sicoob publishes no limit for its token endpoint. 10 a minute is far above what single flight needs
 * and still stops a loop.
 */
export const SICOOB_RATE_LIMIT: Readonly<RateLimitOptions> = { limit: 10, interval: 60_000 }

/**
 * Sicoob (API Pix, Cobrança Bancária, Conta Corrente): a public client authenticated by its certificate
 * (`tls_client_auth`, [RFC 8705 §2.1](https://www.rfc-editor.org/rfc/rfc8705#section-2.1)): client_id and
 * scope in the form body, no secret. API calls also carry the `client_id` header: see {@link sicoobApi}.
 */
export function sicoob(options: SicoobOptions): TlsClientAuthOptions {
	checkPresetOptions(options, 'sicoob', presetOptions('sicoob'))
	const environment = resolveEnvironment(options.environment, 'sicoob')
	return {
		tokenUrl: presetUrl(options.tokenUrl, environment === 'production' ? PRODUCTION_TOKEN_URL : undefined, 'sicoob', 'tokenUrl', environment, DOCS),
		clientId: requireString(options.clientId, 'sicoob', 'clientId'),
		clientAuth: 'tls_client_auth',
		tls: requireTls(options.tls, 'sicoob', 'the certificate registered with the application is the credential'),
		scope: requireScope(options.scope, 'sicoob', 'Sicoob requires one on every token request'),
		rateLimit: SICOOB_RATE_LIMIT,
		...authorizeUrlOption(options.authorizeUrl),
	}
}

/** Options of {@link sicoobApi}. */
export interface SicoobApiOptions {
	/** The same client_id as the token request. */
	clientId: string
}

/** What Sicoob's API calls need besides the bearer token (and the certificate): the `client_id` header (https://developers.sicoob.com.br). */
export function sicoobApi(options: SicoobApiOptions): ApiRequestDecoration {
	checkPresetOptions(options, 'sicoobApi', { clientId: 'string' })
	return decoration({}, { client_id: requireString(options.clientId, 'sicoobApi', 'clientId') })
}

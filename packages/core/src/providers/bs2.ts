import type { ClientSecretOptions } from '../types/options.js'
import { checkPresetOptions, type Environment, presetUrl, requireString, resolveEnvironment } from './environment.js'
import { presetOptions } from './preset-options.js'

// BS2 Pix Direto "Autenticação" (shared/seeds/002) gives the path /auth/oauth/v2/token; the homologation
// host is the one BS2 hands partners (apihmz.bancobonsucesso.com.br). BS2 does not publish its production
// host in these documents (community SDKs disagree), so production needs tokenUrl.
// BS2 Pix Direto "Autenticação - Gerar Access Token": the page a production tokenUrl is asked about.
const DOCS = 'https://devs.bs2.com/reference/post_auth-oauth-v2-token-1'
const HOMOLOGATION_HOST = 'https://apihmz.bancobonsucesso.com.br'
const TOKEN_PATH = '/auth/oauth/v2/token'
// BS2 api-banking "Consent" (shared/seeds/003): GET /api-banking/auth/oauth/v2/authorize.
const AUTHORIZE_PATH = '/api-banking/auth/oauth/v2/authorize'

/** Options of the {@link bs2} preset. */
export interface Bs2Options {
	/** `'homologation'` (or `'sandbox'`, the same) or `'production'`. */
	environment: Environment
	/** The client id BS2 issued. */
	clientId: string
	/** The client secret BS2 issued. */
	clientSecret: string
	/** Required by BS2 on every token request. */
	scope: string | readonly string[]
	/** Required in production (the host is not published). */
	tokenUrl?: string | undefined
	/** Authorization endpoint override (bs2Banking has BS2's homologation one built in). */
	authorizeUrl?: string | undefined
}

/** Options of the {@link bs2Banking} preset. */
export interface Bs2BankingOptions extends Bs2Options {
	/** Where BS2 sends the account holder back with the authorization code. */
	redirectUri: string
}

/**
 * The timing BS2 needs: tokens live 420 s (homologation) or 300 s (production), and issuing a new token
 * invalidates the previous one. So no refresh ahead (a background refresh would cut off requests still
 * using the current token); a token is retired 15 s before expiry and callers wait for its successor.
 * BS2 allows about 10 token requests a minute: the cap is 8, leaving room for retries and restarts.
 */
const BS2_TIMING = {
	refreshAhead: 0,
	expiryMargin: 15_000,
	rateLimit: { limit: 8, interval: 60_000 },
} as const

function secretOptions(options: Bs2Options, provider: string): ClientSecretOptions {
	const environment = resolveEnvironment(options.environment, provider)
	const scope = options.scope
	if (scope === undefined || (typeof scope === 'string' ? scope.trim() === '' : scope.length === 0)) {
		throw new TypeError(`tokenwarden: ${provider} needs scope (BS2 requires one on every token request)`)
	}
	return {
		tokenUrl: presetUrl(options.tokenUrl, environment === 'sandbox' ? HOMOLOGATION_HOST + TOKEN_PATH : undefined, provider, 'tokenUrl', environment, DOCS),
		clientId: requireString(options.clientId, provider, 'clientId'),
		clientSecret: requireString(options.clientSecret, provider, 'clientSecret'),
		clientAuth: 'client_secret_basic',
		// BS2 documents 'Basic ' + base64(clientId:secretKey), unencoded.
		basicAuthEncoding: 'raw',
		scope,
		...BS2_TIMING,
		...(options.authorizeUrl === undefined ? {} : { authorizeUrl: options.authorizeUrl }),
	}
}

/** BS2 Pix Direto: client_credentials with HTTP Basic and a required scope. */
export function bs2(options: Bs2Options): ClientSecretOptions {
	checkPresetOptions(options, 'bs2', presetOptions('bs2'))
	return secretOptions(options, 'bs2')
}

/**
 * BS2 api-banking, on behalf of an account holder: authorization code consent (with 2FA in BS2's pages),
 * Basic client authentication, refresh tokens valid 30 days and rotated on every refresh, scope sent on
 * refresh as BS2 requires.
 */
export function bs2Banking(options: Bs2BankingOptions): ClientSecretOptions {
	checkPresetOptions(options, 'bs2Banking', presetOptions('bs2Banking'))
	const base = secretOptions(options, 'bs2Banking')
	const environment = resolveEnvironment(options.environment, 'bs2Banking')
	return {
		...base,
		authorizeUrl: presetUrl(options.authorizeUrl, environment === 'sandbox' ? HOMOLOGATION_HOST + AUTHORIZE_PATH : undefined, 'bs2Banking', 'authorizeUrl', environment, DOCS),
		redirectUri: requireString(options.redirectUri, 'bs2Banking', 'redirectUri'),
		refreshTokenLifetime: 30 * 24 * 60 * 60 * 1000,
		scopeOnRefresh: true,
	}
}

import type { RateLimitOptions } from '../types/options.js'
import type { ClientSecretOptions, TlsOptions } from '../types/options.js'
import { describeValue } from '../validators.js'
import { authorizeUrlOption, checkPresetOptions, type Environment, presetUrl, requireString, requireTls } from './environment.js'
import { presetOptions } from './preset-options.js'

/** Options of the {@link santander} preset. */
export interface SantanderOptions {
	/**
	 * Santander has three places, and `'homologation'` is not its sandbox: `'sandbox'` (the developer
	 * portal's test API, no certificate), `'homologation'` (pre-production, trust-pix-h, mutual TLS) and
	 * `'production'` (trust-pix, mutual TLS).
	 */
	environment: Environment
	/** The Client ID of the application registered on Santander's developer portal. */
	clientId: string
	/** The Client Secret of that application. */
	clientSecret: string
	/** The company's certificate (Santander hands out `.pfx` files: use `{ pfx, passphrase }`); required outside the sandbox. */
	tls?: TlsOptions | undefined
	/** Scope, if the application needs one (Santander's token request documents none). */
	scope?: string | readonly string[] | undefined
	/** Token endpoint override. */
	tokenUrl?: string | undefined
	/** Authorization endpoint, for the consent flow (Santander documents none here). */
	authorizeUrl?: string | undefined
}

// Santander "Pagamento Instantâneo Pix API - User Guide", section "Método Autenticação OAUTH"
// (developer.santander.com.br, API Pix): POST /oauth/token?grant_type=client_credentials with client_id
// and client_secret in the form body, over mutual TLS with the company certificate. Hosts as in the guide
// and the ACBr PIX component (github.com/frones/ACBr, ACBrPIXPSPSantander.pas): trust-pix (production),
// trust-pix-h (pre-production), pix.santander.com.br/sandbox (portal sandbox).
const DOCS = 'https://developer.santander.com.br'
const TOKEN_URLS = {
	sandbox: 'https://pix.santander.com.br/sandbox/oauth/token?grant_type=client_credentials',
	homologation: 'https://trust-pix-h.santander.com.br/oauth/token?grant_type=client_credentials',
	production: 'https://trust-pix.santander.com.br/oauth/token?grant_type=client_credentials',
} as const

/**
 * Santander publishes no limit for its Pix token endpoint. 10 a minute is far above what single flight
 * needs (one request per token lifetime per scope) and still stops a loop.
 */
export const SANTANDER_RATE_LIMIT: Readonly<RateLimitOptions> = { limit: 10, interval: 60_000 }

function santanderEnvironment(value: unknown): keyof typeof TOKEN_URLS {
	if (value === 'sandbox' || value === 'homologation' || value === 'production') return value
	throw new TypeError(`tokenwarden: expected santander option environment to be 'sandbox', 'homologation' or 'production', got ${describeValue(value)}`)
}

/**
 * Santander (API Pix): client_credentials with `grant_type` in the query string and client_id and
 * client_secret in the form body, over mutual TLS outside the portal sandbox.
 */
export function santander(options: SantanderOptions): ClientSecretOptions {
	checkPresetOptions(options, 'santander', presetOptions('santander'))
	const environment = santanderEnvironment(options.environment)
	const tls = environment === 'sandbox' ? options.tls : requireTls(options.tls, 'santander', `Santander requires mutual TLS with the company certificate in ${environment}`)
	return {
		tokenUrl: presetUrl(options.tokenUrl, TOKEN_URLS[environment], 'santander', 'tokenUrl', environment, DOCS),
		clientId: requireString(options.clientId, 'santander', 'clientId'),
		clientSecret: requireString(options.clientSecret, 'santander', 'clientSecret'),
		clientAuth: 'client_secret_post',
		...(tls === undefined ? {} : { tls }),
		...(options.scope === undefined ? {} : { scope: options.scope }),
		rateLimit: SANTANDER_RATE_LIMIT,
		...authorizeUrlOption(options.authorizeUrl),
	}
}

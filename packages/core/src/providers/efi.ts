import type { RateLimitOptions } from '../types/options.js'
import { createMtlsAgents } from '../tls.js'
import type { ClientSecretOptions, FetchLike, TlsOptions } from '../types/options.js'
import { authorizeUrlOption, checkPresetOptions, type Environment, presetUrl, requireString, requireTls, resolveEnvironment } from './environment.js'
import { presetOptions } from './preset-options.js'
import { jsonTokenRequest } from './json-token-request.js'

/** Options of the {@link efi} preset. */
export interface EfiOptions {
	/** `'homologation'` (or `'sandbox'`, the same: pix-h) or `'production'`. */
	environment: Environment
	/** The application's Client_Id for this environment (Efí issues one pair per environment). */
	clientId: string
	/** The application's Client_Secret for this environment. */
	clientSecret: string
	/** The application's `.p12` for this environment: `{ pfx }` (Efí's files have no passphrase; give one if you re-exported it with one). */
	tls: TlsOptions
	/** Scope, if wanted: Efí grants the scopes enabled on the application, none need to be sent. */
	scope?: string | readonly string[] | undefined
	/** Token endpoint override. */
	tokenUrl?: string | undefined
	/** Authorization endpoint, for the consent flow (Efí documents none for the Pix API). */
	authorizeUrl?: string | undefined
}

// Efí "Credenciais, Certificado e Autorização", https://dev.efipay.com.br/docs/api-pix/credenciais/ :
// POST /oauth/token with Authorization: Basic base64(Client_Id:Client_Secret), a JSON body
// {"grant_type": "client_credentials"}, and the application's .p12 certificate over mutual TLS;
// pix.api.efipay.com.br (production) and pix-h.api.efipay.com.br (homologação).
const DOCS = 'https://dev.efipay.com.br/docs/api-pix/credenciais/'
const TOKEN_URLS = {
	sandbox: 'https://pix-h.api.efipay.com.br/oauth/token',
	production: 'https://pix.api.efipay.com.br/oauth/token',
} as const

/** https://dev.efipay.com.br/docs/api-pix/credenciais/ : the example response has `expires_in: 3600`. */
export const EFI_TOKEN_LIFETIME = 3_600_000

/**
 * Efí meters its API in buckets per endpoint and publishes no separate figure for /oauth/token. 10 a
 * minute is far above what single flight needs (one request per hour-long token per scope) and still
 * stops a loop.
 */
export const EFI_RATE_LIMIT: Readonly<RateLimitOptions> = { limit: 10, interval: 60_000 }

/**
 * Efí (formerly Gerencianet), API Pix: client_credentials with HTTP Basic (id:secret as issued), the
 * parameters as JSON, over mutual TLS with the application's PKCS#12 certificate.
 *
 * The token request goes through a mutual TLS fetch built here (the JSON body needs its own transport),
 * so the options carry `fetch` rather than `tls`; the certificate is checked now, as `tls` would be.
 * For API calls, build clients with `createMtlsAgents(tls)` from the same certificate.
 */
export function efi(options: EfiOptions): ClientSecretOptions {
	checkPresetOptions(options, 'efi', presetOptions('efi'))
	const environment = resolveEnvironment(options.environment, 'efi')
	const tokenUrl = presetUrl(options.tokenUrl, TOKEN_URLS[environment], 'efi', 'tokenUrl', environment, DOCS)
	const clientId = requireString(options.clientId, 'efi', 'clientId')
	const clientSecret = requireString(options.clientSecret, 'efi', 'clientSecret')
	const tls = requireTls(options.tls, 'efi', 'Efí requires mutual TLS with the application certificate in both environments')
	return {
		tokenUrl,
		clientId,
		clientSecret,
		clientAuth: 'client_secret_basic',
		// Efí's example encodes Client_Id:Client_Secret as issued.
		basicAuthEncoding: 'raw',
		fetch: jsonTokenRequest(createMtlsAgents(tls).fetch as FetchLike),
		...(options.scope === undefined ? {} : { scope: options.scope }),
		defaultLifetime: EFI_TOKEN_LIFETIME,
		rateLimit: EFI_RATE_LIMIT,
		...authorizeUrlOption(options.authorizeUrl),
	}
}

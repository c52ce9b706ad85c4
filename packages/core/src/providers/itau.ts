import type { RateLimitOptions } from '../types/options.js'
import type { ClientSecretOptions, TlsOptions } from '../types/options.js'
import { authorizeUrlOption, checkPresetOptions, type Environment, presetUrl, requireString, requireTls, resolveEnvironment } from './environment.js'
import { presetOptions } from './preset-options.js'

/** Options of the {@link itau} preset. */
export interface ItauOptions {
	/** `'sandbox'` needs `tokenUrl` (see {@link itau}); `'production'` is Itaú's STS. */
	environment: Environment
	/** The production client_id Itaú issued with the dynamic certificate. */
	clientId: string
	/** The client_secret Itaú issued. */
	clientSecret: string
	/** The dynamic certificate signed by Itaú's STS and its key: required in production (mutual TLS). */
	tls?: TlsOptions | undefined
	/** Scope, when the product asks for one (Itaú's STS documents none for client_credentials). */
	scope?: string | readonly string[] | undefined
	/** Token endpoint override; required for the sandbox. */
	tokenUrl?: string | undefined
	/** Authorization endpoint, for the consent flow (Itaú documents none here). */
	authorizeUrl?: string | undefined
}

// Itaú "Autenticação mTLS - produção", https://devportal.itau.com.br/autenticacao-documentacao :
// production follows OAuth 2.0 client_credentials with mutual TLS; the STS token endpoint is the one
// Itaú's certificate pages and public SDKs use (sts.itau.com.br/api/oauth/token, client_id and
// client_secret in the form body). The same page says the sandbox does not follow OAuth 2.0 and has no
// mutual TLS, so the preset does not guess its request: the sandbox needs tokenUrl.
const DOCS = 'https://devportal.itau.com.br/autenticacao-documentacao'
const PRODUCTION_TOKEN_URL = 'https://sts.itau.com.br/api/oauth/token'

/** https://devportal.itau.com.br/autenticacao-documentacao : "o access_token [é válido] por 5 minutos". */
export const ITAU_TOKEN_LIFETIME = 300_000

/**
 * Itaú publishes no limit for its token endpoint. 10 a minute is far above what single flight needs
 * (one request per 5-minute token per scope) and still stops a loop from hammering the STS.
 */
export const ITAU_RATE_LIMIT: Readonly<RateLimitOptions> = { limit: 10, interval: 60_000 }

/**
 * Itaú (Pix and the other STS-authenticated APIs): client_credentials with client_id and client_secret
 * in the form body over mutual TLS with the dynamic certificate; 5-minute tokens.
 */
export function itau(options: ItauOptions): ClientSecretOptions {
	checkPresetOptions(options, 'itau', presetOptions('itau'))
	const environment = resolveEnvironment(options.environment, 'itau')
	const production = environment === 'production'
	const tls = production ? requireTls(options.tls, 'itau', 'Itaú requires mutual TLS with the dynamic certificate in production') : options.tls
	return {
		tokenUrl: presetUrl(options.tokenUrl, production ? PRODUCTION_TOKEN_URL : undefined, 'itau', 'tokenUrl', environment, DOCS),
		clientId: requireString(options.clientId, 'itau', 'clientId'),
		clientSecret: requireString(options.clientSecret, 'itau', 'clientSecret'),
		clientAuth: 'client_secret_post',
		...(tls === undefined ? {} : { tls }),
		...(options.scope === undefined ? {} : { scope: options.scope }),
		defaultLifetime: ITAU_TOKEN_LIFETIME,
		rateLimit: ITAU_RATE_LIMIT,
		...authorizeUrlOption(options.authorizeUrl),
	}
}

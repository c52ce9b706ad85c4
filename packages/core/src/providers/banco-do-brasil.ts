import type { RateLimitOptions } from '../types/options.js'
import type { ClientSecretOptions, TlsOptions } from '../types/options.js'
import { authorizeUrlOption, checkPresetOptions, type Environment, presetUrl, requireScope, requireString, resolveEnvironment } from './environment.js'
import { presetOptions } from './preset-options.js'
import { type ApiRequestDecoration, decoration } from './request-decoration.js'

/** Options of the {@link bancoDoBrasil} preset. */
export interface BancoDoBrasilOptions {
	/** `'homologation'` (or `'sandbox'`, the same: BB's homologação) or `'production'`. */
	environment: Environment
	/** The application's client_id (developers.bb.com.br). */
	clientId: string
	/** The application's client_secret. */
	clientSecret: string
	/** Required on every token request, space separated (for example `cob.read cob.write pix.read`). */
	scope: string | readonly string[]
	/**
	 * The company certificate, when the token endpoint is reached with it too. BB's Pix API v2 requires it
	 * on API calls in production: build those clients with `createMtlsAgents(tls)`.
	 */
	tls?: TlsOptions | undefined
	/** Token endpoint override. */
	tokenUrl?: string | undefined
	/** Authorization endpoint, for the consent flow (BB documents none for these APIs). */
	authorizeUrl?: string | undefined
}

// BB developer portal (https://developers.bb.com.br, "Autenticação" and the API Pix specification):
// POST /oauth/token with Authorization: Basic base64(client_id:client_secret) and a form body with
// grant_type=client_credentials and scope. Hosts as published there and in the ACBr PIX component
// (github.com/frones/ACBr, ACBrPIXPSPBancoDoBrasil.pas): oauth.hm.bb.com.br (homologação) and oauth.bb.com.br.
const DOCS = 'https://developers.bb.com.br'
const TOKEN_URLS = {
	sandbox: 'https://oauth.hm.bb.com.br/oauth/token',
	production: 'https://oauth.bb.com.br/oauth/token',
} as const

/**
 * BB publishes no limit for its token endpoint (its API quotas are per application). 10 a minute is far
 * above what single flight needs and still stops a loop.
 */
export const BANCO_DO_BRASIL_RATE_LIMIT: Readonly<RateLimitOptions> = { limit: 10, interval: 60_000 }

/**
 * Banco do Brasil (API Pix and the other developers.bb.com.br APIs): client_credentials with HTTP Basic
 * (id:secret as issued, unencoded) and a required scope. Every API call also needs the application's
 * developer key as a query parameter: see {@link bancoDoBrasilApi}.
 */
export function bancoDoBrasil(options: BancoDoBrasilOptions): ClientSecretOptions {
	checkPresetOptions(options, 'bancoDoBrasil', presetOptions('bancoDoBrasil'))
	const environment = resolveEnvironment(options.environment, 'bancoDoBrasil')
	return {
		tokenUrl: presetUrl(options.tokenUrl, TOKEN_URLS[environment], 'bancoDoBrasil', 'tokenUrl', environment, DOCS),
		clientId: requireString(options.clientId, 'bancoDoBrasil', 'clientId'),
		clientSecret: requireString(options.clientSecret, 'bancoDoBrasil', 'clientSecret'),
		clientAuth: 'client_secret_basic',
		// BB's examples build the header from the raw id:secret (its ids are base64url-like JSON, unaffected either way).
		basicAuthEncoding: 'raw',
		scope: requireScope(options.scope, 'bancoDoBrasil', 'Banco do Brasil requires one on every token request'),
		...(options.tls === undefined ? {} : { tls: options.tls }),
		rateLimit: BANCO_DO_BRASIL_RATE_LIMIT,
		...authorizeUrlOption(options.authorizeUrl),
	}
}

/** The query parameter names BB has used for the developer application key. */
export type BancoDoBrasilAppKeyParameter = 'gw-dev-app-key' | 'gw-app-key' | 'developer_application_key'

/** Options of {@link bancoDoBrasilApi}. */
export interface BancoDoBrasilApiOptions {
	/** The application's developer key ("chave de desenvolvedor", developer_application_key on the portal). */
	developerApplicationKey: string
	/**
	 * The query parameter that carries it. Default `'gw-dev-app-key'`, the name the API Pix specification
	 * and the ACBr component use in both environments; some BB APIs document `'gw-app-key'` (production)
	 * or `'developer_application_key'`.
	 */
	parameter?: BancoDoBrasilAppKeyParameter | undefined
}

const APP_KEY_PARAMETERS: readonly BancoDoBrasilAppKeyParameter[] = ['gw-dev-app-key', 'gw-app-key', 'developer_application_key']

/**
 * What BB's API calls need besides the bearer token: the developer application key as a query parameter
 * on every request (https://developers.bb.com.br, API Pix: `gw-dev-app-key`).
 */
export function bancoDoBrasilApi(options: BancoDoBrasilApiOptions): ApiRequestDecoration {
	checkPresetOptions(options, 'bancoDoBrasilApi', { developerApplicationKey: 'secret', parameter: 'string' })
	const key = requireString(options.developerApplicationKey, 'bancoDoBrasilApi', 'developerApplicationKey')
	const parameter = options.parameter ?? 'gw-dev-app-key'
	if (!APP_KEY_PARAMETERS.includes(parameter)) {
		throw new TypeError(`tokenwarden: expected bancoDoBrasilApi option parameter to be one of ${APP_KEY_PARAMETERS.join(', ')}, got '${String(parameter)}'`)
	}
	return decoration({ [parameter]: key }, {})
}

/** The query parameters of {@link bancoDoBrasilApi} alone: axios `params`, ky `searchParams`. */
export function bancoDoBrasilApiParams(options: BancoDoBrasilApiOptions): Readonly<Record<string, string>> {
	return bancoDoBrasilApi(options).searchParams
}

import type { RateLimitOptions } from '../types/options.js'
import type { ClientSecretOptions, TlsOptions } from '../types/options.js'
import { authorizeUrlOption, checkPresetOptions, type Environment, presetUrl, requireScope, requireString, requireTls, resolveEnvironment } from './environment.js'
import { invalid } from '../validators.js'
import { presetOptions } from './preset-options.js'
import { type ApiRequestDecoration, decoration } from './request-decoration.js'

/** Options of the {@link inter} preset. */
export interface InterOptions {
	/** Inter's sandbox (`cdpj-sandbox.partners.uatinter.co`) or production. */
	environment: Environment
	/** The Client ID of the integration (Internet Banking PJ, "Minhas integrações"). */
	clientId: string
	/** The Client Secret of the integration. */
	clientSecret: string
	/** The integration's certificate (`.crt` + `.key`, or the two as PKCS#12): Inter requires mutual TLS on every call, the token request included. */
	tls: TlsOptions
	/** Required on every token request, space separated (for example `cob.read cob.write pix.read`). */
	scope: string | readonly string[]
	/** Token endpoint override. */
	tokenUrl?: string | undefined
	/** Authorization endpoint, for the consent flow (Inter documents none). */
	authorizeUrl?: string | undefined
}

// Inter "Token" reference, https://developers.inter.co/references/token : POST /oauth/v2/token,
// form body client_id, client_secret, grant_type=client_credentials and scope, mutual TLS with the
// integration's certificate; production cdpj.partners.bancointer.com.br, sandbox cdpj-sandbox.partners.uatinter.co
// (the sandbox host as published on developers.inter.co/docs/sandbox).
const DOCS = 'https://developers.inter.co/references/token'
const TOKEN_URLS = {
	sandbox: 'https://cdpj-sandbox.partners.uatinter.co/oauth/v2/token',
	production: 'https://cdpj.partners.bancointer.com.br/oauth/v2/token',
} as const

/** https://developers.inter.co/references/token : the token lives 60 minutes and should be reused. */
export const INTER_TOKEN_LIFETIME = 3_600_000

/**
 * https://developers.inter.co/references/token : at most 5 token requests a minute (production and
 * sandbox). The cap is 4, leaving one for another process or a restart.
 */
export const INTER_RATE_LIMIT: Readonly<RateLimitOptions> = { limit: 4, interval: 60_000 }

/**
 * Banco Inter (API Pix, Cobrança, Banking): client_credentials with client_id and client_secret in the
 * form body, over mutual TLS with the integration's certificate, and a required scope.
 */
export function inter(options: InterOptions): ClientSecretOptions {
	checkPresetOptions(options, 'inter', presetOptions('inter'))
	const environment = resolveEnvironment(options.environment, 'inter')
	return {
		tokenUrl: presetUrl(options.tokenUrl, TOKEN_URLS[environment], 'inter', 'tokenUrl', environment, DOCS),
		clientId: requireString(options.clientId, 'inter', 'clientId'),
		clientSecret: requireString(options.clientSecret, 'inter', 'clientSecret'),
		clientAuth: 'client_secret_post',
		tls: requireTls(options.tls, 'inter', 'Inter requires mutual TLS with the integration certificate, in sandbox too'),
		scope: requireScope(options.scope, 'inter', 'Inter requires one on every token request'),
		defaultLifetime: INTER_TOKEN_LIFETIME,
		rateLimit: INTER_RATE_LIMIT,
		...authorizeUrlOption(options.authorizeUrl),
	}
}

/** Options of {@link interApi}. */
export interface InterApiOptions {
	/** The checking account, digits only with its check digit and no leading zeros; needed only when the integration has more than one account. */
	contaCorrente?: string | undefined
}

/**
 * What Inter's API calls need besides the bearer token (and the same certificate as the token request):
 * the `x-conta-corrente` header when the integration operates more than one account
 * (https://developers.inter.co/references/pix).
 */
export function interApi(options: InterApiOptions = {}): ApiRequestDecoration {
	checkPresetOptions(options, 'interApi', { contaCorrente: 'string' })
	const account = options.contaCorrente
	if (account === undefined) return decoration({}, {})
	if (typeof account !== 'string' || !/^[1-9]\d*$/.test(account)) {
		invalid('interApi option contaCorrente', 'digits without leading zeros', account)
	}
	return decoration({}, { 'x-conta-corrente': account })
}

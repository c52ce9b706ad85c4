import type { ClientSecretOptions } from '../types/options.js'
import { checkPresetOptions, type Environment, presetUrl, requireString, resolveEnvironment } from './environment.js'
import { presetOptions } from './preset-options.js'

/** Options of the {@link juno} preset. */
export interface JunoOptions {
	/** Juno's sandbox or production. */
	environment: Environment
	/** The client id Juno issued. */
	clientId: string
	/** The client secret Juno issued. */
	clientSecret: string
	/** Token endpoint override. Default: Juno's documented one for the environment. */
	tokenUrl?: string | undefined
	/** Authorization endpoint, for the consent flow (the provider documents none). */
	authorizeUrl?: string | undefined
}

// Juno "Generating an Authorization Server" (shared/seeds/000) shows the sandbox URL in its curl example;
// the production URL is the one Juno's public SDKs and integration guides use.
const TOKEN_URLS = {
	sandbox: 'https://sandbox.boletobancario.com/authorization-server/oauth/token',
	production: 'https://api.juno.com.br/authorization-server/oauth/token',
} as const

/**
 * Juno (boletobancario.com): client_credentials with HTTP Basic; JWT access tokens (their `exp`
 * decides expiry) living 86 400 s in sandbox and 3 600 s in production. Juno warns that "massive
 * requests" to the token endpoint get a client blocked, so token requests are capped at 10 a minute (single flight needs one per token lifetime).
 */
export function juno(options: JunoOptions): ClientSecretOptions {
	checkPresetOptions(options, 'juno', presetOptions('juno'))
	const environment = resolveEnvironment(options.environment, 'juno')
	return {
		tokenUrl: presetUrl(options.tokenUrl, TOKEN_URLS[environment], 'juno', 'tokenUrl', environment),
		clientId: requireString(options.clientId, 'juno', 'clientId'),
		clientSecret: requireString(options.clientSecret, 'juno', 'clientSecret'),
		clientAuth: 'client_secret_basic',
		// Juno's own example sends id:secret as they are, not form-urlencoded.
		basicAuthEncoding: 'raw',
		rateLimit: { limit: 10, interval: 60_000 },
		...(options.authorizeUrl === undefined ? {} : { authorizeUrl: options.authorizeUrl }),
	}
}

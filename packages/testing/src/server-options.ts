import { normaliseScope } from '@tokenwarden/core'
import type { SeenClientAuth, TokenServerOptions } from './types.js'

const CLIENT_AUTH: readonly SeenClientAuth[] = ['client_secret_basic', 'client_secret_post', 'client_secret_jwt', 'private_key_jwt', 'none']

/** Options with defaults applied and URLs normalised as `Request.url` spells them. */
export interface ResolvedServerOptions {
	tokenUrl: string
	revocationUrl: string | undefined
	expiresIn: number
	/** undefined: any scope is allowed. */
	scopes: ReadonlySet<string> | undefined
	defaultScope: string[]
	echoScope: boolean
	refreshTokens: boolean
	rotateRefreshTokens: boolean
	refreshExpiresIn: number | undefined
	tokenType: string
}

/** Checks the options at the boundary: a mistake is a TypeError when the mock is set up. */
export function resolveServerOptions(options: TokenServerOptions): ResolvedServerOptions {
	if (typeof options !== 'object' || options === null) fail('mockTokenEndpoint options must be an object')
	const tokenUrl = url(options.tokenUrl, 'tokenUrl')
	const revocationUrl = options.revocationUrl === undefined ? undefined : url(options.revocationUrl, 'revocationUrl')
	for (const name of ['clientId', 'clientSecret', 'tokenType'] as const) {
		const value = options[name]
		if (value !== undefined && (typeof value !== 'string' || value === '')) fail(`${name} must be a non-empty string`)
	}
	if (options.clientAuth !== undefined && !CLIENT_AUTH.includes(options.clientAuth)) fail(`clientAuth must be one of ${CLIENT_AUTH.join(', ')}`)
	if (options.clientSecret !== undefined && (options.clientAuth === 'none' || options.clientAuth === 'private_key_jwt')) {
		fail(`clientSecret is not used with clientAuth ${options.clientAuth}; remove one of them`)
	}
	for (const name of ['echoScope', 'refreshTokens', 'rotateRefreshTokens'] as const) {
		if (options[name] !== undefined && typeof options[name] !== 'boolean') fail(`${name} must be a boolean`)
	}
	if (options.responseFields !== undefined && typeof options.responseFields !== 'function' && (typeof options.responseFields !== 'object' || options.responseFields === null)) {
		fail('responseFields must be an object or a function')
	}
	const scopes = options.scopes === undefined ? undefined : new Set(scope(options.scopes, 'scopes'))
	const defaultScope = options.defaultScope === undefined ? [] : scope(options.defaultScope, 'defaultScope')
	if (scopes !== undefined) {
		const outside = defaultScope.filter((item) => !scopes.has(item))
		if (outside.length > 0) fail(`defaultScope has scopes that scopes does not allow: ${outside.join(' ')}`)
	}
	return {
		tokenUrl,
		revocationUrl,
		expiresIn: seconds(options.expiresIn, 'expiresIn') ?? 3600,
		scopes,
		defaultScope,
		echoScope: options.echoScope ?? true,
		refreshTokens: options.refreshTokens ?? true,
		rotateRefreshTokens: options.rotateRefreshTokens ?? true,
		refreshExpiresIn: seconds(options.refreshExpiresIn, 'refreshExpiresIn'),
		tokenType: options.tokenType ?? 'Bearer',
	}
}

function url(value: unknown, name: string): string {
	if (typeof value !== 'string') fail(`${name} must be a URL string`)
	let parsed: URL
	try {
		parsed = new URL(value)
	} catch {
		fail(`${name} is not a valid URL`)
	}
	if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') fail(`${name} must be an http(s) URL`)
	parsed.hash = ''
	return parsed.href
}

function seconds(value: unknown, name: string): number | undefined {
	if (value === undefined) return undefined
	if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) fail(`${name} must be a positive number of seconds`)
	return value
}

function scope(value: unknown, name: string): string[] {
	if (typeof value !== 'string' && !(Array.isArray(value) && value.every((item) => typeof item === 'string'))) {
		fail(`${name} must be a space-separated string or an array of strings`)
	}
	return normaliseScope(value as string | string[])
}

function fail(message: string): never {
	throw new TypeError(`tokenwarden: ${message}`)
}

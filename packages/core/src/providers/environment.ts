/** Where a preset points: the provider's test environment or production. BS2 calls its test environment homologation. */
export type Environment = 'sandbox' | 'homologation' | 'production'

/** Normalises `environment`; 'homologation' and 'sandbox' are the same place. */
export function resolveEnvironment(value: unknown, provider: string): 'sandbox' | 'production' {
	if (value === 'sandbox' || value === 'homologation') return 'sandbox'
	if (value === 'production') return 'production'
	throw new TypeError(`tokenwarden: ${provider} environment must be 'sandbox' (or 'homologation') or 'production'`)
}

/** A preset URL: the override, else the documented one, else a TypeError (presets never guess an undocumented URL). */
export function presetUrl(override: string | undefined, documented: string | undefined, provider: string, name: string, environment: string): string {
	const url = override ?? documented
	if (url === undefined) {
		throw new TypeError(`tokenwarden: ${provider} does not publish its ${environment} ${name}; pass ${name} explicitly`)
	}
	return url
}

export function requireString(value: unknown, provider: string, name: string): string {
	if (typeof value !== 'string' || value === '') throw new TypeError(`tokenwarden: ${provider} needs ${name}`)
	return value
}

/** A required, non-empty scope: a TypeError naming the provider's rule otherwise. */
export function requireScope(scope: unknown, provider: string, why: string): string | readonly string[] {
	const empty = typeof scope === 'string' ? scope.trim() === '' : !Array.isArray(scope) || scope.length === 0
	if (scope === undefined || empty) throw new TypeError(`tokenwarden: ${provider} needs scope (${why})`)
	return scope as string | readonly string[]
}

/** A required client certificate: a TypeError naming the provider's rule otherwise. */
export function requireTls<T>(tls: T | undefined, provider: string, why: string): T {
	if (tls === undefined || tls === null) throw new TypeError(`tokenwarden: ${provider} needs tls (${why})`)
	return tls
}

/** `authorizeUrl` passed through when given (none of these providers documents one). */
export function authorizeUrlOption(authorizeUrl: string | undefined): { authorizeUrl?: string } {
	return authorizeUrl === undefined ? {} : { authorizeUrl }
}

import { describeValue, httpUrl, invalid, isPlainObject, knownKeys, nearest, nonEmptyString, object, scopeValue } from '../validators.js'

/** Where a preset points: the provider's test environment or production. BS2 calls its test environment homologation. */
export type Environment = 'sandbox' | 'homologation' | 'production'

/** Normalises `environment`; 'homologation' and 'sandbox' are the same place. */
export function resolveEnvironment(value: unknown, provider: string): 'sandbox' | 'production' {
	if (value === 'sandbox' || value === 'homologation') return 'sandbox'
	if (value === 'production') return 'production'
	throw new TypeError(`tokenwarden: expected ${provider} option environment to be 'sandbox' (or 'homologation') or 'production', got ${describeValue(value)}`)
}

/** What a preset option must be, as the presets check it: an environment name, a string, a secret string, a scope, an http(s) URL or TLS options. */
export type PresetOptionKind = 'environment' | 'string' | 'secret' | 'scope' | 'url' | 'tls'

/**
 * Checks a preset's options as the manager checks its own: a plain object, no unknown key (a near miss
 * such as `scpoe` gets "did you mean scope?"), and each given option of its kind, in the
 * `tokenwarden: expected <provider> option <name> to be …, got …` style. A missing required option is
 * left to the preset, which says the provider's rule (`bancoDoBrasil needs scope (…)`).
 */
export function checkPresetOptions(options: unknown, provider: string, kinds: Readonly<Record<string, PresetOptionKind>>): void {
	if (!isPlainObject(options)) invalid(`${provider} options`, 'an object', options)
	const known = Object.keys(kinds)
	for (const key of Object.keys(options)) {
		if (known.includes(key)) continue
		// Two letters swapped (`scpoe`) is the commonest typo and two edits away, beyond what `nearest` suggests.
		const near = nearest(key, known) ?? swapped(key, known)
		if (near !== undefined) throw new TypeError(`tokenwarden: expected no option ${provider}.${key}, got ${describeValue(options[key], true)}; did you mean ${provider}.${near}?`)
	}
	knownKeys(options, known, provider)
	for (const [key, kind] of Object.entries(kinds)) {
		const value = options[key]
		if (value === undefined) continue
		const name = `${provider} option ${key}`
		if (kind === 'string') nonEmptyString(value, name)
		else if (kind === 'secret') nonEmptyString(value, name, { secret: true })
		else if (kind === 'scope') scopeValue(value, name)
		else if (kind === 'url') httpUrl(value, name)
		else if (kind === 'tls') object(value, name, 'TLS options ({ cert, key } or { pfx })')
	}
}

/** The known key that `key` is with two neighbouring letters swapped (case aside), if any. */
function swapped(key: string, known: readonly string[]): string | undefined {
	const lower = key.toLowerCase()
	return known.find((candidate) => {
		const target = candidate.toLowerCase()
		if (target.length !== lower.length) return false
		const differ = [...lower].flatMap((char, index) => (char === target[index] ? [] : [index]))
		return (
			differ.length === 2 &&
			differ[1] === (differ[0] as number) + 1 &&
			lower[differ[0] as number] === target[differ[1] as number] &&
			lower[differ[1] as number] === target[differ[0] as number]
		)
	})
}

/**
 * A preset URL: the override, else the documented one, else a TypeError (presets never guess an
 * undocumented URL) naming the environment and linking `docs`, the provider's page to read it from.
 */
export function presetUrl(override: string | undefined, documented: string | undefined, provider: string, name: string, environment: string, docs?: string): string {
	const url = override ?? documented
	if (url === undefined) {
		throw new TypeError(
			`tokenwarden: ${provider} does not publish its ${environment} ${name}; pass ${name} explicitly (the one your ${provider} ${environment} credentials came with${docs === undefined ? '' : `; see ${docs}`})`,
		)
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

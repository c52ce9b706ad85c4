/**
 * The option validators shared by the manager, the adapter settings and the stores: one message style,
 * `tokenwarden: expected <option> to be …, got …`, always a `TypeError` thrown at creation.
 *
 * A value is described by its type and, for short non-secret strings and numbers, itself; a secret
 * option (`clientSecret`, key material) is never quoted.
 */

/** `setTimeout` cannot wait longer than this (2³¹−1 ms, about 24.8 days); a longer delay fires at once. */
export const MAX_TIMER_MS = 2 ** 31 - 1

/** Throws the one configuration error: `tokenwarden: expected <option> to be <what>, got <value>`. */
export function invalid(option: string, what: string, value: unknown, { secret = false }: { secret?: boolean } = {}): never {
	throw new TypeError(`tokenwarden: expected ${option} to be ${what}, got ${describeValue(value, secret)}`)
}

/** A short, safe description of a value for an error message. */
export function describeValue(value: unknown, secret = false): string {
	if (value === null) return 'null'
	if (value === undefined) return 'undefined'
	if (typeof value === 'number') return Number.isNaN(value) ? 'NaN' : String(value)
	if (typeof value === 'boolean' || typeof value === 'bigint') return String(value)
	if (typeof value === 'string') {
		if (value === '') return 'an empty string'
		return secret || value.length > 40 || /[^\x20-\x7e]/.test(value) ? `a string of ${value.length} characters` : JSON.stringify(value)
	}
	if (typeof value === 'function') return 'a function'
	if (Array.isArray(value)) return `an array of ${value.length}`
	if (Buffer.isBuffer(value)) return 'a Buffer'
	if (typeof value === 'object') {
		const name = Object.getPrototypeOf(value)?.constructor?.name
		return name && name !== 'Object' ? `a ${name}` : 'an object'
	}
	return typeof value
}

/** A plain object (not null, not an array): what every object-valued option must be. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
	if (typeof value !== 'object' || value === null || Array.isArray(value)) return false
	const prototype = Object.getPrototypeOf(value)
	return prototype === Object.prototype || prototype === null
}

/** An object (plain, or a class instance such as a store or logger) — `null` included in the refusal. */
export function object(value: unknown, option: string, what = 'an object'): Record<string, unknown> {
	if (typeof value !== 'object' || value === null || Array.isArray(value)) invalid(option, what, value)
	return value as Record<string, unknown>
}

/** A plain object with known keys only: `{ lmit: 0 }` must not pass as "no retry limit". */
export function plainObject(value: unknown, option: string, known: readonly string[], what = 'an object'): Record<string, unknown> {
	if (!isPlainObject(value)) invalid(option, what, value)
	knownKeys(value, known, option)
	return value
}

/** Refuses keys outside `known`, suggesting the nearest known key for a near-miss (`timout` → `timeout`). */
export function knownKeys(value: object, known: readonly string[], option: string | undefined): void {
	for (const key of Object.keys(value)) {
		if (known.includes(key)) continue
		const near = nearest(key, known)
		const where = option === undefined ? key : `${option}.${key}`
		const hint = near === undefined ? ` (known: ${known.join(', ')})` : `; did you mean ${option === undefined ? near : `${option}.${near}`}?`
		throw new TypeError(`tokenwarden: expected no option ${where}, got ${describeValue((value as Record<string, unknown>)[key], true)}${hint}`)
	}
}

/** The known key closest to `key` (edit distance ≤ 2, or one is the other with an `s`), if any. */
export function nearest(key: string, known: readonly string[]): string | undefined {
	let best: string | undefined
	let bestDistance = 3
	const lower = key.toLowerCase()
	for (const candidate of known) {
		const distance = editDistance(lower, candidate.toLowerCase())
		if (distance < bestDistance) {
			best = candidate
			bestDistance = distance
		}
	}
	return bestDistance <= Math.min(2, Math.max(1, Math.floor(key.length / 3))) ? best : undefined
}

function editDistance(a: string, b: string): number {
	if (Math.abs(a.length - b.length) > 2) return 3
	let previous = Array.from({ length: b.length + 1 }, (_, index) => index)
	for (let i = 1; i <= a.length; i++) {
		const current = [i]
		for (let j = 1; j <= b.length; j++) {
			current[j] = Math.min((previous[j] as number) + 1, (current[j - 1] as number) + 1, (previous[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1))
		}
		previous = current
	}
	return previous[b.length] as number
}

/** A finite number of milliseconds in [min, max]; `max` defaults to what a timer can wait. */
export function duration(value: unknown, option: string, { min = 0, max = MAX_TIMER_MS }: { min?: number; max?: number } = {}): number {
	if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
		invalid(option, `a number of milliseconds from ${min} to ${max}`, value)
	}
	return value
}

/** An integer in [min, max]. */
export function integer(value: unknown, option: string, { min = 0, max = Number.MAX_SAFE_INTEGER }: { min?: number; max?: number } = {}): number {
	if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
		invalid(option, max === Number.MAX_SAFE_INTEGER ? `an integer of at least ${min}` : `an integer from ${min} to ${max}`, value)
	}
	return value
}

/** A boolean: `'no'` is not false. */
export function boolean(value: unknown, option: string): boolean {
	if (typeof value !== 'boolean') invalid(option, 'true or false', value)
	return value
}

/** A non-empty string. */
export function nonEmptyString(value: unknown, option: string, { secret = false }: { secret?: boolean } = {}): string {
	if (typeof value !== 'string' || value === '') invalid(option, 'a non-empty string', value, { secret })
	return value
}

/** A function. */
export function func<T extends (...args: never[]) => unknown>(value: unknown, option: string): T {
	if (typeof value !== 'function') invalid(option, 'a function', value)
	return value as T
}

/** One of a fixed set of strings. */
export function oneOf<T extends string>(value: unknown, option: string, allowed: readonly T[]): T {
	if (typeof value !== 'string' || !allowed.includes(value as T)) invalid(option, `one of ${allowed.map((item) => `'${item}'`).join(', ')}`, value)
	return value as T
}

/** An object with these methods (a clock, a logger, a store): checked by shape, not by class. */
export function methods<T>(value: unknown, option: string, names: readonly string[], what: string): T {
	const given = object(value, option, what)
	for (const name of names) {
		if (typeof given[name] !== 'function') invalid(`${option}.${name}`, 'a function', given[name])
	}
	return given as T
}

/** A plain object of string values (form parameters); `undefined` entries are dropped, not sent as "undefined". */
export function stringRecord(value: unknown, option: string): Record<string, string> {
	if (!isPlainObject(value)) invalid(option, 'a plain object of strings', value)
	const record: Record<string, string> = {}
	for (const [key, entry] of Object.entries(value)) {
		if (entry === undefined) continue
		if (typeof entry !== 'string') invalid(`${option}.${key}`, 'a string', entry)
		record[key] = entry
	}
	return record
}

/** Scope ([RFC 6749 §3.3](https://www.rfc-editor.org/rfc/rfc6749#section-3.3)): a space-separated string or an array of strings, each made of visible ASCII. */
export function scopeValue(value: unknown, option: string): string | readonly string[] {
	const entries = typeof value === 'string' ? [value] : Array.isArray(value) ? value : invalid(option, 'a space-separated string or an array of strings', value)
	entries.forEach((entry: unknown, index) => {
		const name = typeof value === 'string' ? option : `${option}[${index}]`
		if (typeof entry !== 'string') invalid(name, 'a string', entry)
		// scope-token = 1*( %x21 / %x23-5B / %x5D-7E ), separated by spaces.
		if (/[^\x20\x21\x23-\x5b\x5d-\x7e]/.test(entry)) invalid(name, 'scope tokens of visible ASCII without " or \\', entry)
	})
	return value as string | readonly string[]
}

/** An absolute http(s) URL without credentials. Plain http is allowed (test servers); RFC 6749 §3.2 requires TLS elsewhere. */
export function httpUrl(value: unknown, option: string): string {
	if (typeof value !== 'string' || value === '') invalid(option, 'an http(s) URL string', value)
	let url: URL
	try {
		url = new URL(value)
	} catch {
		invalid(option, 'an absolute http(s) URL', value)
	}
	if (url.protocol !== 'https:' && url.protocol !== 'http:') invalid(option, 'an http(s) URL', `${url.protocol} URL`)
	// Never quote the URL here: it carries the credentials this check refuses.
	if (url.username || url.password) throw new TypeError(`tokenwarden: expected ${option} to be a URL without credentials, got a URL with user info (it must not carry credentials)`)
	return value
}

/** A PEM string or bytes (a Buffer or Uint8Array). */
export function bytesOrString(value: unknown, option: string): string | Buffer {
	if (typeof value !== 'string' && !(value instanceof Uint8Array)) invalid(option, 'a PEM string or a Buffer', value, { secret: true })
	return value as string | Buffer
}

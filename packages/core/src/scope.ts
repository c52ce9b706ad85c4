/**
 * Scope as a set ([RFC 6749 §3.3](https://www.rfc-editor.org/rfc/rfc6749#section-3.3)): space-delimited,
 * order does not matter. `'a b'`, `['b', 'a']` and `' a  b '` are the same scope.
 */
export function normaliseScope(scope: string | readonly string[] | undefined): string[] {
	if (scope === undefined) return []
	const parts = typeof scope === 'string' ? scope.split(' ') : scope.flatMap((item) => item.split(' '))
	const unique = new Set<string>()
	for (const part of parts) {
		const trimmed = part.trim()
		if (trimmed !== '') unique.add(trimmed)
	}
	return [...unique].sort()
}

/** The wire form: space-separated. */
export function formatScope(scope: readonly string[]): string {
	return scope.join(' ')
}

/** Granted scope from a token response: a space-separated string or, from some servers, an array. */
export function parseGrantedScope(value: unknown): string[] | undefined {
	if (typeof value === 'string') return normaliseScope(value)
	if (Array.isArray(value) && value.every((item) => typeof item === 'string')) return normaliseScope(value)
	return undefined
}

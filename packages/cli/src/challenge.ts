/** One authentication challenge of a `WWW-Authenticate` header ([RFC 9110 §11.6.1](https://www.rfc-editor.org/rfc/rfc9110#section-11.6.1)). */
export interface Challenge {
	/** The scheme as sent, for example `Bearer`. */
	scheme: string
	/** Auth parameters, names lower-cased ([RFC 6750 §3](https://www.rfc-editor.org/rfc/rfc6750#section-3): realm, scope, error, error_description, error_uri). */
	params: Record<string, string>
	/** A token68 credential instead of parameters, when the scheme uses one. */
	token68?: string | undefined
}

const TOKEN = /[!#$%&'*+.^_`|~0-9A-Za-z-]+/y
const TOKEN68 = /[A-Za-z0-9._~+/-]+=*(?=\s*(,|$))/y
const SPACE = /[ \t]*/y

/**
 * Parses a `WWW-Authenticate` value: challenges separated by commas, each a scheme followed by a
 * token68 or by comma-separated `name=value` parameters (token or quoted-string). Lenient: what cannot
 * be parsed ends the parse, keeping the challenges read so far.
 */
export function parseChallenges(header: string): Challenge[] {
	const challenges: Challenge[] = []
	let at = 0
	const skip = (pattern: RegExp) => {
		pattern.lastIndex = at
		const match = pattern.exec(header)
		if (match) at += match[0].length
		return match?.[0]
	}
	const skipSeparators = () => {
		while (at < header.length && (header[at] === ',' || header[at] === ' ' || header[at] === '\t')) at++
	}
	let current: Challenge | undefined
	while (true) {
		skipSeparators()
		if (at >= header.length) break
		const word = skip(TOKEN)
		if (word === undefined) break
		skip(SPACE)
		if (current !== undefined && header[at] === '=') {
			at++
			skip(SPACE)
			const value = header[at] === '"' ? quoted() : (skip(TOKEN) ?? '')
			current.params[word.toLowerCase()] = value
			continue
		}
		current = { scheme: word, params: {} }
		challenges.push(current)
		const token68 = skip(TOKEN68)
		if (token68 !== undefined) current.token68 = token68
	}
	return challenges

	/** A quoted-string with its backslash escapes undone ([RFC 9110 §5.6.4](https://www.rfc-editor.org/rfc/rfc9110#section-5.6.4)). */
	function quoted(): string {
		let value = ''
		at++
		while (at < header.length && header[at] !== '"') {
			if (header[at] === '\\' && at + 1 < header.length) at++
			value += header[at]
			at++
		}
		at++
		return value
	}
}

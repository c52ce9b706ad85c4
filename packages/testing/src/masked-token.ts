import { inspect } from 'node:util'
import type { Token } from '@tokenwarden/core'

/**
 * A token masked like the real manager's: `accessToken` reads as given, while `util.inspect`,
 * `JSON.stringify` and snapshots show `[redacted]`, so a test that logs a token leaks nothing either.
 */
class StaticToken implements Token {
	readonly accessToken: string
	readonly tokenType: string
	readonly expiresAt: number
	readonly scope: readonly string[]
	declare readonly subject?: string | undefined

	constructor(fields: Token) {
		this.accessToken = fields.accessToken
		this.tokenType = fields.tokenType
		this.expiresAt = fields.expiresAt
		this.scope = Object.freeze([...fields.scope])
		if (fields.subject !== undefined) this.subject = fields.subject
		Object.freeze(this)
	}

	toJSON(): Record<string, unknown> {
		return { ...(this as Token), accessToken: '[redacted]' }
	}

	[inspect.custom](): string {
		return `Token ${inspect(this.toJSON())}`
	}
}

/** A frozen, masked {@link Token}. */
export function maskedToken(fields: Token): Token {
	return new StaticToken(fields)
}

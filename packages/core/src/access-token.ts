import { inspect } from 'node:util'
import type { Token } from './types/token.js'

/**
 * The token handed to callers: a plain-looking frozen object whose `accessToken` is masked when the
 * object is inspected, JSON-serialised or snapshotted, so a stray `console.log(token)` leaks nothing.
 * Read `token.accessToken` to use it.
 */
class AccessToken implements Token {
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

export function createToken(fields: Token): Token {
	return new AccessToken(fields)
}

import { cacheKey } from './cache-key.js'
import { checkScopeCount } from './resolve-options.js'
import { normaliseScope } from './scope.js'
import type { TokenRequest } from './types/token.js'

/** What one cache entry is for: its key, and the (scope, subject) pair the key was made from. */
export interface Target {
	readonly key: string
	/** Normalised scope; empty for a holder's token asked for without one (whatever the holder consented to). */
	readonly scope: readonly string[]
	readonly subject: string | undefined
}

/** Scope of a holder's token requested without one: whatever the holder consented to. */
export const CONSENTED_SCOPE: readonly string[] = []

/** Remembered (scope, subject) -> target translations; cleared wholesale past this. */
const MAX_MEMO_TARGETS = 1000

/** Turns `getToken` arguments into targets, remembering the few pairs callers repeat. */
export class Targets {
	readonly #tokenUrl: string
	readonly #clientId: string
	readonly #scope: readonly string[]
	readonly #maxScopes: number
	readonly #memo = new Map<string, Target>()
	/** Start of every key of a holder's token for the consented scope, up to the encoded subject (see {@link cacheKey}). */
	readonly #holderPrefix: string
	/** The manager's default target (its own scope, no subject). */
	readonly default: Target

	constructor(tokenUrl: string, clientId: string, scope: readonly string[], maxScopes: number) {
		this.#tokenUrl = tokenUrl
		this.#clientId = clientId
		this.#scope = scope
		this.#maxScopes = maxScopes
		this.#holderPrefix = cacheKey(tokenUrl, clientId, CONSENTED_SCOPE, '')
		this.default = this.of(scope, undefined)
	}

	/** A target from already normalised parts. */
	of(scope: readonly string[], subject: string | undefined): Target {
		if (scope.length === 0 && subject !== undefined) return this.#holder(subject)
		return { key: cacheKey(this.#tokenUrl, this.#clientId, scope, subject), scope, subject }
	}

	/**
	 * A holder's token for what they consented to, the common call with 100,000 holders: the key is the
	 * fixed prefix and the encoded subject (the same string {@link cacheKey} builds), with no memo, which
	 * round-robin calls over more holders than it holds would miss every time (issue 19: measured
	 * 2.4 µs -> see bench/README.md).
	 */
	#holder(subject: string): Target {
		return { key: this.#holderPrefix + encodeURIComponent(subject), scope: CONSENTED_SCOPE, subject }
	}

	/** The target of one `getToken` request; a TypeError for arguments of the wrong type. */
	resolve(request: TokenRequest): Target {
		if (request.scope !== undefined && typeof request.scope !== 'string' && !Array.isArray(request.scope)) {
			throw new TypeError('tokenwarden: getToken scope must be a string or an array of strings')
		}
		if (request.subject !== undefined && (typeof request.subject !== 'string' || request.subject === '')) {
			throw new TypeError('tokenwarden: getToken subject must be a non-empty string')
		}
		if (request.scope === undefined) return request.subject === undefined ? this.default : this.#holder(request.subject)
		// Callers repeat the same few scope/subject pairs: remember their targets so the cached path
		// skips normalising and key encoding (measured 1.6 µs -> 0.5 µs per call).
		const memo = `${typeof request.scope === 'string' ? request.scope : (request.scope?.join('\u0001') ?? '\u0002')}\u0000${request.subject ?? ''}`
		const known = this.#memo.get(memo)
		if (known) return known
		// An account holder's token without an explicit scope is for what the holder consented to
		// (the grant's scope), not the manager's default scope, which is for client credentials.
		const scope = request.scope !== undefined ? checkScopeCount(normaliseScope(request.scope), this.#maxScopes) : request.subject === undefined ? this.#scope : CONSENTED_SCOPE
		const target = this.of(scope, request.subject)
		if (this.#memo.size >= MAX_MEMO_TARGETS) this.#memo.clear()
		this.#memo.set(memo, target)
		return target
	}
}

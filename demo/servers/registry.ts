// The access tokens the imitated authorization servers have issued, shared with the local API: the
// demo's stand-in for token introspection (RFC 7662) between a provider's token service and its APIs.

/** Why a token is no longer accepted. */
export type Withdrawal = 'revoked by the API' | 'replaced by a newer token' | 'consent withdrawn'

export interface IssuedToken {
	/** Which imitation issued it: 'juno', 'bankly', 'bs2', 'bs2Banking'. */
	provider: string
	clientId: string
	/** The account holder, for tokens of the authorization code flow. */
	subject?: string | undefined
	scope: readonly string[]
	/** Epoch ms on the issuer's clock (the same clock here). */
	expiresAt: number
	withdrawn?: Withdrawal | undefined
}

export type TokenCheck = { ok: true; token: IssuedToken } | { ok: false; reason: 'unknown' | 'expired' | Withdrawal }

export class TokenRegistry {
	readonly #tokens = new Map<string, IssuedToken>()

	issue(accessToken: string, token: IssuedToken): void {
		this.#tokens.set(accessToken, token)
	}

	/** Is this token good for this provider's API right now? */
	check(accessToken: string, provider: string): TokenCheck {
		const token = this.#tokens.get(accessToken)
		if (token === undefined || token.provider !== provider) return { ok: false, reason: 'unknown' }
		if (token.withdrawn !== undefined) return { ok: false, reason: token.withdrawn }
		if (Date.now() >= token.expiresAt) return { ok: false, reason: 'expired' }
		return { ok: true, token }
	}

	/** Withdraws one token; false when it is unknown. */
	withdraw(accessToken: string, why: Withdrawal): boolean {
		const token = this.#tokens.get(accessToken)
		if (token === undefined) return false
		token.withdrawn ??= why
		return true
	}

	/** Withdraws every live token matching `match`; returns how many. */
	withdrawWhere(match: (token: IssuedToken) => boolean, why: Withdrawal): number {
		let count = 0
		for (const token of this.#tokens.values()) {
			if (token.withdrawn === undefined && match(token)) {
				token.withdrawn = why
				count++
			}
		}
		return count
	}
}

/** When a cached token is refreshed in the background, and when it is no longer handed out. */
export interface Timing {
	/** From here on, `getToken` still returns the token and starts one background refresh (epoch ms). */
	readonly refreshAt: number
	/** From here on, the token is not handed out (epoch ms). */
	readonly staleAt: number
}

/** The two settings that place {@link Timing} inside a token's life. */
export interface TimingPolicy {
	/** Refresh this long before expiry, ms. */
	readonly refreshAhead: number
	/** Never hand out a token this close to expiry, ms. */
	readonly expiryMargin: number
	/**
	 * Whether the user gave `refreshAhead` (and `expiryMargin`) explicitly. A setting given is honoured
	 * exactly while the lifetime allows it; a default scales down with a short lifetime (see {@link tokenTiming}).
	 */
	readonly given?: { readonly refreshAhead: boolean; readonly expiryMargin: boolean } | undefined
}

/** A short token is refreshed in its last fifth: one token request per 0.8 lifetime, at most 1.25 per lifetime. */
export const SHORT_REFRESH_SHARE = 0.2
/** A short token is retired in its last tenth: the refresh started at 80 % has the next tenth to arrive. */
export const SHORT_MARGIN_SHARE = 0.1

/**
 * [docs/API.md](https://github.com/tokenwarden/tokenwarden/blob/main/docs/API.md): refresh starts `refreshAhead` before expiry and a token is never handed out within
 * `expiryMargin` of it.
 *
 * Short tokens (issue 18): a short token must not be refreshed so early that most of its life is
 * wasted. The defaults (60 s, 10 s) hold exactly for every lifetime of at least twice the refresh lead
 * (120 s; every provider's lifetime is 300 s or more). Below that the default refresh lead shrinks
 * continuously: a token is used for at least `refreshAhead` before it is refreshed, and never refreshed
 * before 80 % of its life (so at most 1.25 token requests per lifetime when the lifetime is under
 * 75 s: a 2 s token refreshes at 1.6 s). The default margin is at most a tenth of the lifetime (a 2 s
 * token retires at 1.8 s, leaving the refresh started at 1.6 s a tenth of the life to arrive).
 *
 * A setting the user gave is honoured exactly while the lifetime is longer than it; only a token whose
 * whole lifetime is shorter than the setting falls back to the same shares (refresh at 80 % of its life,
 * retire at 90 %), rather than being refreshed on every call or refused outright.
 *
 * @param requestedAt when the request that obtained the token started (epoch ms)
 * @param expiresAt when the token expires (epoch ms, local clock)
 */
export function tokenTiming(requestedAt: number, expiresAt: number, policy: TimingPolicy): Timing {
	const lifetime = Math.max(0, expiresAt - requestedAt)
	return {
		refreshAt: expiresAt - refreshLead(policy, lifetime),
		staleAt: expiresAt - marginLead(policy, lifetime),
	}
}

function refreshLead({ refreshAhead, given }: TimingPolicy, lifetime: number): number {
	if (given?.refreshAhead === true) return lifetime > refreshAhead ? refreshAhead : lifetime * SHORT_REFRESH_SHARE
	return Math.min(refreshAhead, Math.max(lifetime * SHORT_REFRESH_SHARE, lifetime - refreshAhead))
}

function marginLead({ expiryMargin, given }: TimingPolicy, lifetime: number): number {
	if (given?.expiryMargin === true) return lifetime > expiryMargin ? expiryMargin : lifetime * SHORT_MARGIN_SHARE
	return Math.min(expiryMargin, lifetime * SHORT_MARGIN_SHARE)
}

/**
 * After a background refresh fails, the next one waits a tenth of what is left of the token's life,
 * between 1 s and 30 s, so an outage of the token endpoint is not hammered while the cached token lasts.
 */
export function backgroundRetryAt(now: number, expiresAt: number): number {
	return now + Math.min(30_000, Math.max(1_000, (expiresAt - now) / 10))
}

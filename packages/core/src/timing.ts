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
}

/**
 * [docs/API.md](https://github.com/tokenwarden/tokenwarden/blob/main/docs/API.md): refresh starts `refreshAhead` before expiry and a token is never handed out within
 * `expiryMargin` of it. Only a token whose whole lifetime is shorter than a setting cannot honour it:
 * such a token refreshes at half its life and retires at three quarters, rather than being refreshed on
 * every call or refused outright.
 *
 * @param requestedAt when the request that obtained the token started (epoch ms)
 * @param expiresAt when the token expires (epoch ms, local clock)
 */
export function tokenTiming(requestedAt: number, expiresAt: number, policy: TimingPolicy): Timing {
	const lifetime = Math.max(0, expiresAt - requestedAt)
	return {
		refreshAt: expiresAt - (lifetime > policy.refreshAhead ? policy.refreshAhead : lifetime / 2),
		staleAt: expiresAt - (lifetime > policy.expiryMargin ? policy.expiryMargin : lifetime / 4),
	}
}

/**
 * After a background refresh fails, the next one waits a tenth of what is left of the token's life,
 * between 1 s and 30 s, so an outage of the token endpoint is not hammered while the cached token lasts.
 */
export function backgroundRetryAt(now: number, expiresAt: number): number {
	return now + Math.min(30_000, Math.max(1_000, (expiresAt - now) / 10))
}

import type { Emit } from './events.js'
import type { GrantType } from './grants.js'
import type { GuardedStore } from './guarded-store.js'
import type { Target } from './target.js'
import type { TimingPolicy } from './timing.js'
import { tokenTiming } from './timing.js'
import type { AccessEntry, TokenCache } from './token-cache.js'
import type { TokenResponse } from './token-response.js'
import type { Clock } from './types/options.js'
import type { StoredTokenSet } from './types/store.js'
import type { Token } from './types/token.js'

/**
 * Why a token is being obtained, which decides what a shared store may answer instead of a request:
 * - `fresh`: there is no usable token; any stored token that is not yet stale will do.
 * - `replacing`: this token is due (refresh ahead) or was asked to be replaced (forceRefresh); a stored
 *   token will do only if it is another one, not yet due itself.
 * - `forced`: nothing stored may stand in (forceRefresh with no token in hand): always a request.
 */
export type AcquireMode = { readonly kind: 'fresh' } | { readonly kind: 'replacing'; readonly token: string } | { readonly kind: 'forced' }

export const FRESH: AcquireMode = { kind: 'fresh' }

/** The pieces the sequence works with. */
export interface AcquireContext {
	readonly store: GuardedStore
	readonly cache: TokenCache
	readonly clock: Clock
	readonly timing: TimingPolicy
	readonly emit: Emit
	/** Thumbprint of this manager's client certificate: a certificate-bound token is only good with it. */
	readonly thumbprint: string | undefined
}

/**
 * The one sequence every token goes through: read the store (another process may have the token), take
 * the store's fleet lock when it has one, read again under it (a peer may have written one while we
 * waited), and only then make the request. The local cache adopts whatever comes out.
 *
 * A store whose lock cannot be taken (paused after an outage, refused, not given in time) leaves the
 * request to the in-process single flight, unless `unlocked` is given: then, when the store has a lock,
 * its error is thrown instead. A request that spends what it sends (a rotated refresh token) must never
 * run beside a peer holding the lock: both would spend the same token. (A pause that skipped the lock may
 * end before the next read, so "the store can be read" does not mean "the lock was taken".)
 */
export async function acquire(context: AcquireContext, target: Target, mode: AcquireMode, lockKey: string, request: () => Promise<Token>, unlocked?: () => Error): Promise<Token> {
	const stored = await context.store.get(target.key)
	if (usable(context, target, mode, stored)) return context.cache.adopt(target, stored, context.clock.now())
	const lock = await context.store.lock(lockKey)
	if (lock === undefined && unlocked !== undefined && context.store.hasLock) throw unlocked()
	try {
		if (lock) {
			const again = await context.store.get(target.key)
			if (usable(context, target, mode, again)) return context.cache.adopt(target, again, context.clock.now())
		}
		return await request()
	} finally {
		// The rotated set could not reach the store yet (pending, written when the outage ends): the lock stays
		// ours (the store renews it) until it lands, so no peer reads the set it replaces and spends a spent token.
		const unsaved = lock && context.store.whenSettled(lockKey)
		if (unsaved) void unsaved.then(() => lock.release()).catch(() => {})
		else await lock?.release().catch(() => {})
	}
}

/** Whether a stored entry may be handed out instead of requesting a token, for this mode. */
export function usable(context: AcquireContext, target: Target, mode: AcquireMode, entry: StoredTokenSet | undefined): entry is AccessEntry {
	if (mode.kind === 'forced' || !entry?.accessToken || entry.expiresAt === undefined) return false
	if (mode.kind === 'replacing' && entry.accessToken === mode.token) return false
	if (entry.accessToken === context.cache.rejectedOf(target.key)) return false
	// RFC 8705 §3: a certificate-bound token is only good with the certificate that obtained it.
	if (entry.certificateThumbprint !== undefined && entry.certificateThumbprint !== context.thumbprint) return false
	const timing = tokenTiming(entry.requestedAt, entry.expiresAt, context.timing)
	return context.clock.now() < (mode.kind === 'fresh' ? timing.staleAt : timing.refreshAt)
}

/** Stores a fresh access token (newer wins in the store too), adopts it, and reports it with a `token` event. */
export async function keepToken(context: AcquireContext, target: Target, response: TokenResponse, requestedAt: number, grantType: GrantType): Promise<Token> {
	const entry: AccessEntry = {
		version: 1,
		accessToken: response.accessToken,
		tokenType: response.tokenType,
		expiresAt: response.expiresAt,
		scope: response.scope ?? target.scope,
		requestedAt,
		certificateThumbprint: response.certificateThumbprint,
	}
	await context.store.set(target.key, entry, Math.max(1, entry.expiresAt - context.clock.now()))
	const token = context.cache.adopt(target, entry, context.clock.now())
	context.emit({
		type: 'token',
		key: target.key,
		grantType,
		expiresAt: entry.expiresAt,
		expirySource: response.source,
		clockSkew: response.clockSkew,
		...(response.shortLifetime !== undefined && { shortLifetime: response.shortLifetime }),
		subject: target.subject,
	})
	return token
}

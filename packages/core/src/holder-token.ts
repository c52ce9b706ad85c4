import { type AcquireContext, type AcquireMode, acquire, keepToken } from './acquisition.js'
import { ConsentRequiredError, OAuthError, StoreUnavailableError } from './errors.js'
import { type ExtraParams, refreshTokenGrant } from './grants.js'
import type { HolderGrants } from './holder-grants.js'
import type { Target } from './target.js'
import { requestToken, type TokenEndpointContext } from './token-endpoint.js'
import { rescuedRefreshToken, type TokenResponse } from './token-response.js'
import type { StoredTokenSet } from './types/store.js'
import type { Token } from './types/token.js'

export interface HolderTokenContext extends AcquireContext {
	readonly endpoint: TokenEndpointContext
	readonly grants: HolderGrants
	readonly tokenUrl: string
	readonly tokenParams: ExtraParams
	/** Send the scope on refresh (BS2 requires it). */
	readonly scopeOnRefresh: boolean
	/** Refresh-token lifetime when the server does not say, ms. */
	readonly refreshTokenLifetime: number | undefined
}

/** Successors of a refused refresh token taken from the store before giving up: a bound, so never a loop. */
const MAX_SUCCESSORS = 2

/**
 * An account holder's access token: from the store, else by refreshing with the holder's current refresh
 * token ([RFC 6749 §6](https://www.rfc-editor.org/rfc/rfc6749#section-6)), under the holder's in-process
 * serialisation and the store's lock on the holder's set.
 */
export function obtainHolderToken(context: HolderTokenContext, target: Target, mode: AcquireMode, signal: AbortSignal): Promise<Token> {
	const subject = target.subject as string
	const { grants } = context
	// A refresh token is spent only under the store's fleet lock, when it has one: StoreUnavailableError rather than a refresh beside a peer.
	return grants.serialise(subject, () =>
		acquire(
			context,
			target,
			mode,
			grants.keyOf(subject),
			() => refresh(context, target, signal),
			() => new StoreUnavailableError(subject),
		),
	)
}

/** The refresh itself, under the holder's locks: read the current set, refresh, save the rotated one before handing out the access token. */
async function refresh(context: HolderTokenContext, target: Target, signal: AbortSignal): Promise<Token> {
	const subject = target.subject as string
	const { grants, clock } = context
	// Read only now, under the lock: another process may just have rotated it.
	let grant = await grants.current(subject)
	for (let successors = 0; ; successors++) {
		if (grant?.refreshToken === undefined) return await consentRequired(context, subject, 'no_refresh_token')
		if (grant.refreshExpiresAt !== undefined && clock.now() >= grant.refreshExpiresAt) return await consentRequired(context, subject, 'refresh_token_expired')
		const scope = target.scope.length > 0 ? target.scope : [...(grant.scope ?? [])]
		const request = refreshTokenGrant(grant.refreshToken, context.scopeOnRefresh ? scope : [], context.tokenParams)
		const requestedAt = clock.now()
		let response: TokenResponse
		try {
			response = await requestToken(context.endpoint, context.tokenUrl, request, { key: target.key, signal })
		} catch (error) {
			// RFC 6749 §5.2: invalid_grant means this refresh token is dead. Anything else (network, 5xx)
			// says nothing about it, so it is kept.
			if (!(error instanceof OAuthError && error.error === 'invalid_grant')) {
				await keepRescued(context, subject, grant, error, requestedAt)
				throw error
			}
			context.store.dropPending(grants.keyOf(subject), grant)
			// Another process may have rotated it under us (a lock that lapsed, a store that was down): its
			// successor in the store is alive. Without the store, nobody can say the consent is lost.
			const latest = await context.store.tryGet(grants.keyOf(subject))
			if (latest.failed) throw new StoreUnavailableError(subject, { cause: error })
			const successor = latest.value
			if (successors < MAX_SUCCESSORS && successor?.refreshToken !== undefined && successor.refreshToken !== grant.refreshToken) {
				grants.adopt(subject, successor)
				grant = successor
				continue
			}
			return await consentRequired(context, subject, 'invalid_grant', error, grant.refreshToken)
		}
		await grants.save(subject, {
			version: 1,
			requestedAt,
			refreshToken: response.refreshToken ?? grant.refreshToken,
			refreshExpiresAt: refreshExpiry(context, response, grant, clock.now()),
			scope: grant.scope,
		})
		return await keepToken(context, { ...target, scope }, response, requestedAt, 'refresh_token')
	}
}

/** A 2xx we could not use may still carry the rotated refresh token: the old one is spent, so keep the new one. */
async function keepRescued(context: HolderTokenContext, subject: string, grant: StoredTokenSet, error: unknown, requestedAt: number): Promise<void> {
	const rotated = rescuedRefreshToken(error)
	if (rotated === undefined) return
	await context.grants.save(subject, {
		...grant,
		version: 1,
		requestedAt,
		refreshToken: rotated,
		refreshExpiresAt: refreshExpiry(context, { refreshToken: rotated, refreshExpiresIn: undefined }, grant, context.clock.now()),
	})
}

/** The holder must consent again: forget the set (unless a live successor appeared), report, throw. */
export async function consentRequired(
	context: Pick<HolderTokenContext, 'grants' | 'emit'>,
	subject: string,
	reason: ConsentRequiredError['reason'],
	cause?: unknown,
	spent?: string,
): Promise<never> {
	await context.grants.forget(subject, spent)
	context.emit({ type: 'consent-required', subject, reason })
	throw new ConsentRequiredError(subject, reason, cause === undefined ? undefined : { cause })
}

/** When the refresh token lapses: the server's `refresh_expires_in`, else the configured lifetime, else unknown. */
export function refreshExpiry(
	context: Pick<HolderTokenContext, 'refreshTokenLifetime'>,
	response: Pick<TokenResponse, 'refreshToken' | 'refreshExpiresIn'>,
	previous: StoredTokenSet | undefined,
	receivedAt: number,
): number | undefined {
	if (response.refreshToken === undefined) return previous?.refreshExpiresAt
	if (response.refreshExpiresIn !== undefined) return receivedAt + response.refreshExpiresIn
	return context.refreshTokenLifetime === undefined ? undefined : receivedAt + context.refreshTokenLifetime
}

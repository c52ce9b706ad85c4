import { type AcquireContext, keepToken } from './acquisition.js'
import { type AuthorizationRequest, type AuthorizationUrlOptions, buildAuthorizationRequest, checkState } from './authorization-request.js'
import { consentStateKey } from './cache-key.js'
import { authorizationCodeGrant, type ExtraParams } from './grants.js'
import type { HolderGrants } from './holder-grants.js'
import { refreshExpiry } from './holder-token.js'
import { revokeToken } from './revocation.js'
import { normaliseScope } from './scope.js'
import { CONSENTED_SCOPE, type Targets } from './target.js'
import { requestToken, type TokenEndpointContext, tokenErrorEvent } from './token-endpoint.js'
import type { ConsentInfo, ExchangeCodeOptions } from './types/consent.js'
import type { Token } from './types/token.js'

/**
 * How long the scope asked for in an authorization request is kept for `exchangeCode`: the holder may
 * spend a while on the provider's login and second factor, and RFC 6749 §4.1.2 caps a code's life at
 * about ten minutes after that.
 */
export const CONSENT_STATE_TTL = 60 * 60 * 1000

export interface ConsentFlowContext extends AcquireContext {
	readonly endpoint: TokenEndpointContext
	readonly grants: HolderGrants
	readonly targets: Targets
	readonly tokenUrl: string
	readonly clientId: string
	readonly tokenParams: ExtraParams
	/** The manager's default scope. */
	readonly scope: readonly string[]
	readonly authorizeUrl: string | undefined
	readonly redirectUri: string | undefined
	readonly revocationUrl: string | undefined
	readonly refreshTokenLifetime: number | undefined
}

/**
 * The authorization code flow of an account holder's consent: build the URL, exchange the code, report
 * the consent, revoke it or forget it.
 *
 * It keeps no state in process memory: what `exchangeCode` needs beyond what a callback handler has
 * (`code`, `state`, `expectedState`, `codeVerifier`, `subject`), the scope that was asked for, is kept in
 * the shared store under the state for {@link CONSENT_STATE_TTL}, so any process of a fleet can finish a
 * consent another one started.
 */
export class ConsentFlow {
	readonly #context: ConsentFlowContext

	constructor(context: ConsentFlowContext) {
		this.#context = context
	}

	/** Builds the consent URL ([RFC 6749 §4.1.1](https://www.rfc-editor.org/rfc/rfc6749#section-4.1.1)) and records the scope asked for under its state. */
	async authorizationUrl(request: AuthorizationUrlOptions = {}): Promise<AuthorizationRequest> {
		const context = this.#context
		if (!context.authorizeUrl) throw new TypeError('tokenwarden: authorizationUrl needs the authorizeUrl option')
		const built = buildAuthorizationRequest(context.authorizeUrl, context.clientId, this.#redirectUri(request.redirectUri, 'authorizationUrl'), request, context.scope)
		const scope = request.scope === undefined ? context.scope : normaliseScope(request.scope)
		// Without a record, exchangeCode falls back to the default scope: only another scope needs one. A store
		// outage only costs that fallback (after the server's own echo), and is reported as a store-error.
		if (scope.join(' ') !== context.scope.join(' ')) {
			await context.store.set(this.#stateKey(built.state), { version: 1, requestedAt: context.clock.now(), scope }, CONSENT_STATE_TTL)
		}
		return built
	}

	/** Exchanges the code and saves the holder's set under `subject`: the rotated refresh token before the access token is handed out. */
	async exchangeCode(request: ExchangeCodeOptions): Promise<Token> {
		const context = this.#context
		const subject = requireSubject(request, 'exchangeCode')
		checkState(request.state, request.expectedState)
		if (typeof request.code !== 'string' || request.code === '') throw new TypeError('tokenwarden: exchangeCode needs the code')
		const redirectUri = this.#redirectUri(request.redirectUri, 'exchangeCode')
		const { grants, store, clock } = context
		const target = context.targets.of(CONSENTED_SCOPE, subject)
		return grants.serialise(subject, async () => {
			const requestedAt = clock.now()
			const lock = await store.lock(grants.keyOf(subject))
			try {
				const stateKey = this.#stateKey(request.expectedState)
				const asked = await store.get(stateKey)
				const grant = authorizationCodeGrant(request.code, redirectUri, request.codeVerifier, context.tokenParams)
				const response = await requestToken(context.endpoint, context.tokenUrl, grant, { key: target.key }).catch((error: unknown) => {
					context.emit(tokenErrorEvent(target.key, grant.grantType, subject, error))
					throw error
				})
				await store.delete(stateKey)
				const consented = response.scope ?? asked?.scope ?? context.scope
				if (response.refreshToken !== undefined) {
					await grants.save(subject, {
						version: 1,
						requestedAt,
						refreshToken: response.refreshToken,
						refreshExpiresAt: refreshExpiry(context, response, undefined, clock.now()),
						scope: consented,
					})
				} else {
					await grants.forget(subject)
				}
				return await keepToken(context, { ...target, scope: consented }, response, requestedAt, 'authorization_code')
			} finally {
				await lock?.release().catch(() => {})
			}
		})
	}

	/** The holder's consent, or undefined when there is none. During a store outage, what this process knows. */
	async consent(request: { subject: string }): Promise<ConsentInfo | undefined> {
		const subject = requireSubject(request, 'consent')
		const grant = await this.#context.grants.known(subject)
		if (grant?.refreshToken === undefined) return undefined
		return { subject, scope: grant.scope ?? [], refreshExpiresAt: grant.refreshExpiresAt }
	}

	/** Revokes the holder's refresh token ([RFC 7009](https://www.rfc-editor.org/rfc/rfc7009)), or their access token without one, then forgets the set. */
	async revoke(request: { subject: string }): Promise<void> {
		const context = this.#context
		const subject = requireSubject(request, 'revoke')
		const revocationUrl = context.revocationUrl
		if (!revocationUrl) throw new TypeError('tokenwarden: revoke needs the revocationUrl option (RFC 7009 endpoint)')
		await context.grants.serialise(subject, async () => {
			const grant = await context.grants.current(subject)
			const accessToken = context.cache.peek(context.targets.of(CONSENTED_SCOPE, subject).key)?.token.accessToken
			const token = grant?.refreshToken ?? accessToken
			if (token !== undefined) await revokeToken(context.endpoint, revocationUrl, token, grant?.refreshToken ? 'refresh_token' : 'access_token')
			await context.grants.forget(subject)
		})
	}

	/** Forgets the holder's set, here and in the store, without a request. */
	async logout(request: { subject: string }): Promise<void> {
		const subject = requireSubject(request, 'logout')
		await this.#context.grants.serialise(subject, () => this.#context.grants.forget(subject))
	}

	#stateKey(state: string): string {
		return consentStateKey(this.#context.tokenUrl, this.#context.clientId, state)
	}

	#redirectUri(value: string | undefined, method: string): string {
		const redirectUri = value ?? this.#context.redirectUri
		if (typeof redirectUri !== 'string' || redirectUri === '') {
			throw new TypeError(`tokenwarden: ${method} needs redirectUri (or the manager's redirectUri option)`)
		}
		return redirectUri
	}
}

function requireSubject(request: { subject: string } | undefined, method: string): string {
	const subject = request?.subject
	if (typeof subject !== 'string' || subject === '') throw new TypeError(`tokenwarden: ${method} needs a subject`)
	return subject
}

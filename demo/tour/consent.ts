// BS2 api-banking on behalf of an account holder: consent through the authorization code flow, then
// refresh tokens that rotate on every refresh, a spent refresh token that the provider refuses, and
// a withdrawn consent that surfaces as ConsentRequiredError instead of a retry loop.
import { ConsentRequiredError } from '@tokenwarden/core'
import { PROBE_HEADER } from '../servers/token-endpoint.ts'
import type { Bs2BankingServer } from '../servers/bs2-banking.ts'
import { type HolderCredentials, holderApproves } from './holder.ts'
import { describeError, type Expect, type Progress } from './report.ts'
import { plural, type ProviderTour } from './traffic.ts'

export interface ConsentOptions {
	subject: string
	holder: HolderCredentials
}

/** Authorization URL -> the holder approves -> redirect with code and state -> one code exchange. */
export async function consentFlow(tour: ProviderTour, expect: Expect, progress: Progress, options: ConsentOptions): Promise<void> {
	const since = tour.server.log.mark()
	const request = await tour.manager.authorizationUrl({ pkce: true })
	const { redirect, hops } = await holderApproves(request.url, options.holder)
	for (const hop of hops) progress(`holder: ${hop}`)
	const code = redirect.searchParams.get('code')
	const state = redirect.searchParams.get('state')
	expect(
		'the redirect carries a code and our state',
		code !== null && state === request.state,
		code === null ? 'no code' : state === request.state ? 'code, same state' : 'another state',
	)
	const token = await tour.manager.exchangeCode({
		code: code ?? '',
		state: state ?? '',
		expectedState: request.state,
		codeVerifier: request.codeVerifier,
		subject: options.subject,
	})
	const exchanges = tour.server.log.count({ since, grantType: 'authorization_code' })
	expect('exactly 1 token request (authorization_code, PKCE)', exchanges === 1 && tour.server.log.count({ since }) === 1, String(exchanges))
	const consent = await tour.manager.consent({ subject: options.subject })
	expect(`a token for ${options.subject} and its consent kept`, token.subject === options.subject && consent !== undefined, consent ? `scope ${consent.scope.join(' ')}` : 'none')
	const first = await tour.traffic.send(tour, 'axios')
	expect('the API accepts the holder token', first.ok, first.ok ? '200' : describeError(first.error))
}

/** After the holder's traffic across expiries: every refresh used the latest refresh token and sent the scope. */
export function rotation(server: Bs2BankingServer, expect: Expect, since: number): void {
	const refreshes = server.log.count({ since, grantType: 'refresh_token' })
	expect('refreshes with the rotated refresh token', refreshes >= 2, `${refreshes} refreshes`)
	expect('no spent refresh token presented', server.refreshReuses() === 0, `${server.refreshReuses()} reuses`)
	expect('the scope sent on every refresh (BS2 requires it)', server.refreshesWithoutScope() === 0, `${server.refreshesWithoutScope()} without scope`)
}

/** A stale copy of a refresh token (here: one already rotated away) is refused; the live grant carries on. */
export async function spentRefreshToken(
	tour: ProviderTour,
	server: Bs2BankingServer,
	expect: Expect,
	options: { subject: string; clientId: string; clientSecret: string },
): Promise<void> {
	const spent = server.spentRefreshToken(options.subject)
	if (spent === undefined) throw new Error('no refresh token has been rotated yet')
	// The demo plays the stale copy itself (marked as a probe so it is not counted as the manager's).
	const response = await fetch(server.tokenUrl, {
		method: 'POST',
		headers: {
			authorization: `Basic ${Buffer.from(`${options.clientId}:${options.clientSecret}`).toString('base64')}`,
			'content-type': 'application/x-www-form-urlencoded',
			[PROBE_HEADER]: 'spent refresh token',
		},
		body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: spent, scope: 'saldo.read' }),
	})
	const body = (await response.json()) as { error?: string }
	expect('a spent refresh token: 400 invalid_grant', response.status === 400 && body.error === 'invalid_grant', `${response.status} ${body.error ?? ''}`)
	const after = await tour.traffic.send(tour, 'ky')
	expect('the holder requests still answered 200', after.ok, after.ok ? '200' : describeError(after.error))
}

/** The holder withdraws consent: the next request fails with ConsentRequiredError after one refresh attempt, and stays failed without more requests. */
export async function consentWithdrawn(tour: ProviderTour, server: Bs2BankingServer, expect: Expect, options: { subject: string }): Promise<void> {
	server.withdrawConsent(options.subject)
	const since = tour.server.log.mark()
	const first = await tour.traffic.send(tour, 'ky', { expectFailure: true })
	const firstError = first.ok ? undefined : first.error
	expect(
		'the request fails with ConsentRequiredError (invalid_grant)',
		firstError instanceof ConsentRequiredError && firstError.reason === 'invalid_grant',
		first.ok ? '200' : describeError(firstError),
	)
	const statuses = tour.api.statusesOf(first.requestId).join()
	const refreshes = tour.server.log.count({ since })
	expect('after one 401 and one refresh attempt', statuses === '401' && refreshes === 1, `${statuses} and ${plural(refreshes, 'token request')}`)
	const second = await tour.traffic.send(tour, 'axios', { expectFailure: true })
	const secondError = second.ok ? undefined : second.error
	const total = tour.server.log.count({ since })
	expect(
		'the next request fails at once: no loop',
		secondError instanceof ConsentRequiredError && total === 1,
		`${second.ok ? '200' : describeError(secondError)}; ${plural(total, 'token request')} in all`,
	)
}

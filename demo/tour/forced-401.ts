// The API stops accepting a token before it expires (revoked on the provider's side). Every request
// carrying it gets a 401; the adapter drops that token (compare-and-delete) and retries once with a
// fresh one, so many 401s cost one token request.
import type { Expect } from './report.ts'
import type { ProviderTour } from './traffic.ts'

export async function forced401(tour: ProviderTour, expect: Expect, options: { requests: number }): Promise<void> {
	// A fresh token first, so that no refresh ahead replaces it while the requests are under way.
	const token = await tour.manager.getToken({ ...tour.choice, forceRefresh: true })
	tour.api.revoke(token.accessToken)
	const since = tour.server.log.mark()
	const results = await tour.traffic.burst(tour, options.requests)
	const tokenRequests = tour.server.log.count({ since })
	const retriedOnce = results.filter((result) => result.ok && tour.api.statusesOf(result.requestId).join() === '401,200').length
	expect('every request: 401, then 200 after one retry', retriedOnce === options.requests, `${retriedOnce}/${options.requests}`)
	expect('exactly 1 token request for all the 401s', tokenRequests === 1, String(tokenRequests))
}

// The provider's token server is down (503 with Retry-After) just when every caller needs a new
// token. The callers share one token request, which retries when the server says; the server sees a
// couple of attempts, not one per caller, and every caller is served once it is back.
import type { Expect, Progress } from './report.ts'
import type { ProviderTour } from './traffic.ts'

export interface OutageOptions {
	requests: number
	/** How long the token server answers 503, in ms. */
	outage: number
	retryAfterSeconds: number
}

export async function outage(tour: ProviderTour, expect: Expect, progress: Progress, options: OutageOptions): Promise<void> {
	const since = tour.server.log.mark()
	tour.server.log.startOutage(options.outage, options.retryAfterSeconds)
	progress(`token server down: 503 with Retry-After: ${options.retryAfterSeconds} for ${options.outage / 1000} s`)
	// Drop the cached token, as if it had just expired: every request below needs a new one.
	await tour.manager.invalidate(await tour.manager.getToken(tour.choice))
	const results = await tour.traffic.burst(tour, options.requests)
	const attempts = tour.server.log.count({ since })
	const unavailable = tour.server.log.count({ since, status: 503 })
	const ok = results.filter((result) => result.ok).length
	// Attempts at 0 s, ~1 s and ~2 s (Retry-After: 1): the first two fall in the outage.
	expect(`all ${options.requests} requests answered 200 once the server is back`, ok === options.requests, `${ok}/${options.requests}`)
	expect(`2 or 3 token requests, not ${options.requests}`, attempts >= 2 && attempts <= 3, `${attempts} (${unavailable} answered 503)`)
	expect('the manager waited as Retry-After said', unavailable >= 1 && unavailable === attempts - 1, `${unavailable} × 503, then 200`)
}

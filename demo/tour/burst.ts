// A burst of concurrent requests with no token cached yet: the manager's single flight turns them
// into one token request per token (per scope set), however many callers there are.
import type { Expect } from './report.ts'
import type { ProviderTour, TokenChoice } from './traffic.ts'

export interface BurstOptions {
	requests: number
	/** Each target is its own token (its own cache key); requests are spread evenly over them. */
	targets?: ReadonlyArray<{ path?: string; choice?: TokenChoice }>
}

export async function burst(tour: ProviderTour, expect: Expect, options: BurstOptions): Promise<void> {
	const targets = options.targets ?? [{}]
	const since = tour.server.log.mark()
	const results = await Promise.all(targets.map((target) => tour.traffic.burst(tour, options.requests / targets.length, target)))
	const tokenRequests = tour.server.log.count({ since })
	const ok = results.flat().filter((result) => result.ok).length
	const expected = targets.length
	expect(expected === 1 ? 'exactly 1 token request' : `exactly ${expected} token requests, one per scope set`, tokenRequests === expected, String(tokenRequests))
	expect(`all ${options.requests} requests answered 200`, ok === options.requests, `${ok}/${options.requests}`)
}

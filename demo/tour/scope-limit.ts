// Bankly takes at most ten scopes per token. The preset knows, so an eleventh scope is a TypeError in
// the application, before any request: no round trip, no provider error to decode.
import { describeError, type Expect } from './report.ts'
import type { ProviderTour } from './traffic.ts'

export async function scopeLimit(tour: ProviderTour, expect: Expect, options: { maxScopes: number }): Promise<void> {
	const since = tour.server.log.mark()
	const scope = Array.from({ length: options.maxScopes + 1 }, (_, index) => `boleto.scope${index + 1}`)
	let error: unknown
	try {
		await tour.manager.getToken({ scope })
	} catch (caught) {
		error = caught
	}
	expect(`${scope.length} scopes: TypeError`, error instanceof TypeError, error === undefined ? 'a token' : describeError(error))
	const tokenRequests = tour.server.log.count({ since })
	expect('0 token requests', tokenRequests === 0, String(tokenRequests))
}

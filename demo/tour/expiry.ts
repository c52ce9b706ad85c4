// Steady traffic across several token lifetimes. With refresh ahead, a token in the last part of its
// life is still handed out while one background request fetches its successor: nobody waits and
// nobody sends an expired token. Without it (BS2, where a new token retires the old one), callers
// wait once per renewal, when the token reaches its margin; still no expired token is ever sent.
import type { Expect, Progress } from './report.ts'
import { plural, type ProviderTour, sleep, type Via } from './traffic.ts'

export interface ExpiryOptions {
	/** How long the traffic runs, in ms. */
	duration: number
	/** Requests in flight at once (one for BS2: a renewal must not retire a token still in use). */
	workers: number
	/** Pause between one worker's requests, in ms. */
	pause: number
	/** True when the manager refreshes ahead; false when callers wait at each renewal. */
	refreshAhead: boolean
	/** Expected time between token requests, in ms (lifetime minus refreshAhead, or minus expiryMargin). */
	period: number
}

export async function acrossExpiry(tour: ProviderTour, expect: Expect, progress: Progress, options: ExpiryOptions): Promise<void> {
	const since = tour.server.log.mark()
	const unauthorizedBefore = tour.api.unauthorized(tour.name)
	const waitsBefore = tour.waits()
	const requestsBefore = tour.traffic.requests
	const failuresBefore = tour.traffic.failures
	const end = Date.now() + options.duration

	async function worker(index: number): Promise<void> {
		for (let turn = 0; Date.now() < end; turn++) {
			const via: Via = (index + turn) % 2 === 0 ? 'axios' : 'ky'
			await tour.traffic.send(tour, via)
			await sleep(options.pause)
		}
	}
	// Every two seconds, a line of how it goes: token requests appear as the old tokens near their end.
	const started = Date.now()
	const ticker = setInterval(() => {
		const seconds = Math.round((Date.now() - started) / 1000)
		const unauthorized = tour.api.unauthorized(tour.name) - unauthorizedBefore
		progress(`${seconds} s: ${tour.traffic.requests - requestsBefore} requests, ${plural(tour.server.log.count({ since }), 'token request')}, ${unauthorized} × 401`)
	}, 2_000)
	try {
		await Promise.all(Array.from({ length: options.workers }, (_, index) => worker(index)))
	} finally {
		clearInterval(ticker)
	}

	const requests = tour.traffic.requests - requestsBefore
	const failures = tour.traffic.failures - failuresBefore
	const unauthorized = tour.api.unauthorized(tour.name) - unauthorizedBefore
	const tokenRequests = tour.server.log.count({ since })
	const waits = tour.waits() - waitsBefore
	// The phase of the first token is unknown, and a period can be up to a second longer (Juno's `exp`
	// and Bankly's timestamp are corrected by the Date header, which has a one-second resolution).
	const low = Math.max(1, Math.floor(options.duration / (options.period + 1000)))
	const high = Math.ceil(options.duration / options.period) + 1
	expect('no request met a 401 (no expired token sent)', unauthorized === 0, `${unauthorized} × 401 in ${requests} requests`)
	expect(`all requests answered 200`, failures === 0, `${requests - failures}/${requests}`)
	expect(`a token request every ~${options.period / 1000} s: ${low} to ${high}`, tokenRequests >= low && tokenRequests <= high, String(tokenRequests))
	if (options.refreshAhead) {
		expect('no caller waited for a token (refreshed in the background)', waits === 0, `${waits} waits`)
	} else {
		expect('callers waited once per renewal, never more', waits === tokenRequests, `${waits} waits for ${tokenRequests} renewals`)
	}
}

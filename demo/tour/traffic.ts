// Requests through the adapters, and what the tour measures about them: outcome, latency, and
// whether callers had to wait for a token.
import type { Token, TokenManager, TokenRequest } from '@tokenwarden/core'
import type { ApiServer } from '../servers/api.ts'
import type { AuthServer } from '../servers/token-endpoint.ts'

export type Via = 'axios' | 'ky'

/** Which token a request asks for (the adapters' per-request `tokenwarden` option). */
export interface TokenChoice {
	scope?: string | readonly string[]
	subject?: string
}

/** One HTTP client with the tokenwarden adapter installed; `choice` overrides the client's default token. */
export type Send = (path: string, requestId: string, choice: TokenChoice | undefined) => Promise<void>

/** Everything the tour needs about one provider. */
export interface ProviderTour {
	name: string
	manager: TokenManager
	server: AuthServer
	api: ApiServer
	/** The API resource this provider's requests go to by default. */
	path: string
	/** The token this provider's clients ask for by default (set on the clients with withTokens too). */
	choice?: TokenChoice | undefined
	clients: Record<Via, Send>
	traffic: Traffic
	/** Token events from the manager's onEvent. */
	events: Array<{ type: string; expirySource?: string; grantType?: string }>
	/** getToken calls (made by the adapters) that had to wait for a token request so far. */
	waits(): number
}

export type Result = { ok: true } | { ok: false; error: unknown }

/** Outcomes and latencies of one provider's requests. */
export class Traffic {
	readonly latencies: number[] = []
	readonly succeeded: string[] = []
	failures = 0
	expectedFailures = 0
	#next = 0
	readonly #name: string

	constructor(name: string) {
		this.#name = name
	}

	get requests(): number {
		return this.#next
	}

	/** Sends one request and records it. `expectFailure` marks a failure the step is there to show. */
	async send(tour: ProviderTour, via: Via, options: { path?: string; choice?: TokenChoice; expectFailure?: boolean } = {}): Promise<Result & { requestId: string }> {
		const requestId = `${this.#name}-${++this.#next}`
		const started = performance.now()
		try {
			await tour.clients[via](options.path ?? tour.path, requestId, options.choice)
			this.latencies.push(performance.now() - started)
			this.succeeded.push(requestId)
			return { ok: true, requestId }
		} catch (error) {
			this.latencies.push(performance.now() - started)
			if (options.expectFailure) this.expectedFailures++
			else this.failures++
			return { ok: false, error, requestId }
		}
	}

	/** Sends `count` requests at once, alternating axios and ky. */
	burst(tour: ProviderTour, count: number, options: { path?: string; choice?: TokenChoice } = {}) {
		return Promise.all(Array.from({ length: count }, (_, index) => this.send(tour, index % 2 === 0 ? 'axios' : 'ky', options)))
	}

	/** Successful requests that met a 401 on the way: the adapter retried them with a fresh token. */
	recovered401(api: ApiServer): number {
		return this.succeeded.filter((requestId) => api.statusesOf(requestId).includes(401)).length
	}
}

/**
 * Wraps a manager to count callers that had to wait for a token: a cached token resolves at once
 * (before the next turn of the event loop); a token request takes network round trips.
 */
export function watchWaits(manager: TokenManager): { source: Pick<TokenManager, 'getToken' | 'invalidate'>; waits: () => number } {
	let waits = 0
	return {
		source: {
			getToken(request?: TokenRequest): Promise<Token> {
				const pending = manager.getToken(request)
				let settled = false
				pending.then(
					() => (settled = true),
					() => (settled = true),
				)
				setImmediate(() => {
					if (!settled) waits++
				})
				return pending
			},
			invalidate: (token) => manager.invalidate(token),
		},
		waits: () => waits,
	}
}

/** The nearest-rank percentile of a list of numbers. */
export function percentile(values: readonly number[], p: number): number {
	if (values.length === 0) return Number.NaN
	const sorted = [...values].sort((a, b) => a - b)
	return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] as number
}

export function sleep(ms: number): Promise<void> {
	return new Promise((resolve) => setTimeout(resolve, ms))
}

/** "1 token request", "3 token requests". */
export function plural(count: number, noun: string): string {
	return `${count} ${noun}${count === 1 ? '' : 's'}`
}

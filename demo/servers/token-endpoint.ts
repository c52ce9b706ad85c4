// What every imitated authorization server shares: a log of token requests (the demo counts them),
// a switchable outage, and a sliding-window counter for the providers that limit token requests.
import type { IncomingMessage, ServerResponse } from 'node:http'
import { oauthError } from './http.ts'

/** One request to a token endpoint, as the server saw it. */
export interface TokenRequestRecord {
	at: number
	grantType: string
	status: number
	/** Sent by the demo itself to show a server rule (not by a token manager): left out of the counts. */
	probe: boolean
}

/** An imitated authorization server, as the tour sees it. */
export interface AuthServer {
	name: string
	origin: string
	tokenUrl: string
	authorizeUrl?: string | undefined
	log: TokenEndpointLog
	close(): Promise<void>
}

/** Header the demo puts on its own probing requests so that they are not counted as the manager's. */
export const PROBE_HEADER = 'x-demo-probe'

export class TokenEndpointLog {
	readonly records: TokenRequestRecord[] = []
	#outageUntil = 0
	#retryAfterSeconds = 1

	/** A position in the log: pass it as `since` to count only the requests that arrive after now. */
	mark(): number {
		return this.records.length
	}

	/** Token requests made by the token manager (probes left out), optionally only those after a {@link mark}. */
	count(filter: { since?: number; grantType?: string; status?: number } = {}): number {
		return this.records
			.slice(filter.since ?? 0)
			.filter(
				(record) => !record.probe && (filter.grantType === undefined || record.grantType === filter.grantType) && (filter.status === undefined || record.status === filter.status),
			).length
	}

	/** From now on, for `ms`, every token request answers 503 with `Retry-After` (RFC 9110 §10.2.3). */
	startOutage(ms: number, retryAfterSeconds: number): void {
		this.#outageUntil = Date.now() + ms
		this.#retryAfterSeconds = retryAfterSeconds
	}

	/**
	 * Logs the request and, during an outage, answers it with 503. Returns true when it answered.
	 * Called first by every token endpoint, so the log sees every request whatever happens next.
	 */
	begin(request: IncomingMessage, response: ServerResponse, grantType: string | null): boolean {
		const record: TokenRequestRecord = { at: Date.now(), grantType: grantType ?? '(none)', status: 0, probe: request.headers[PROBE_HEADER] !== undefined }
		this.records.push(record)
		response.once('finish', () => {
			record.status = response.statusCode
		})
		if (Date.now() < this.#outageUntil) {
			oauthError(response, 503, 'temporarily_unavailable', 'the authorization server is down for maintenance', {
				'retry-after': String(this.#retryAfterSeconds),
			})
			return true
		}
		return false
	}
}

/** Counts events in a sliding window: how the imitations notice a client that asks for tokens too often. */
export class SlidingWindow {
	readonly #limit: number
	readonly #window: number
	#hits: number[] = []

	constructor(options: { limit: number; window: number }) {
		this.#limit = options.limit
		this.#window = options.window
	}

	/** Records a hit now; true when it goes over the limit. */
	exceeded(now = Date.now()): boolean {
		this.#hits = this.#hits.filter((at) => at > now - this.#window)
		this.#hits.push(now)
		return this.#hits.length > this.#limit
	}

	/** Seconds until the oldest hit in the window leaves it. */
	secondsUntilFree(now = Date.now()): number {
		const oldest = this.#hits[0] ?? now
		return Math.max(1, Math.ceil((oldest + this.#window - now) / 1000))
	}
}

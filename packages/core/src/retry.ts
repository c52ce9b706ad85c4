import type { RetryOptions } from './types/options.js'

export type ResolvedRetry = Required<RetryOptions>

export const defaultRetry: ResolvedRetry = { limit: 2, delay: 250, maxDelay: 10_000, maxRetryAfter: 60_000 }

export function resolveRetry(retry: number | false | RetryOptions | undefined): ResolvedRetry {
	if (retry === undefined) return defaultRetry
	if (retry === false) return { ...defaultRetry, limit: 0 }
	if (typeof retry === 'number') return { ...defaultRetry, limit: retry }
	return { ...defaultRetry, ...stripUndefined(retry) }
}

/**
 * Exponential backoff with "equal jitter": half the capped exponential delay, plus a random part up
 * to the other half, so a fleet that failed together does not retry together yet never retries at once.
 */
export function backoffDelay(attempt: number, retry: ResolvedRetry, random: () => number = Math.random): number {
	const ceiling = Math.min(retry.maxDelay, retry.delay * 2 ** (attempt - 1))
	return Math.round(ceiling / 2 + random() * (ceiling / 2))
}

/** `Retry-After` as ms from now: delta-seconds or an HTTP-date ([RFC 9110 §10.2.3](https://www.rfc-editor.org/rfc/rfc9110#section-10.2.3)). */
export function parseRetryAfter(header: string | null, now: number): number | undefined {
	if (header === null) return undefined
	const value = header.trim()
	if (/^\d+$/.test(value)) return Number(value) * 1000
	const date = Date.parse(value)
	if (Number.isFinite(date)) return Math.max(0, date - now)
	return undefined
}

function stripUndefined<T extends object>(value: T): Partial<T> {
	return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>
}

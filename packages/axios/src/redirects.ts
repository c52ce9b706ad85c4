import type { AxiosRequestConfig } from 'axios'
import { originOf } from '@tokenwarden/core/adapter'

type BeforeRedirect = NonNullable<AxiosRequestConfig['beforeRedirect']>

const guards = new WeakSet<BeforeRedirect>()
const AUTHORIZATION_ONLY: ReadonlySet<string> = new Set(['authorization'])
/** The guard of requests without a `beforeRedirect` of their own, one per set of origins (no closure per request). */
const plainGuards = new WeakMap<ReadonlySet<string>, BeforeRedirect>()

/**
 * Wraps the request's `beforeRedirect` so that a redirect to an origin outside `origins` loses the
 * Authorization header, and the `decorate` option's `headers` (an application key goes where the token goes). Recent axios releases strip it on any cross-origin redirect themselves;
 * older ones left it to follow-redirects, which keeps it for subdomains and, in some versions, for
 * another scheme or port on the same host. This guard holds whatever the version. It only runs
 * where axios follows redirects itself (`maxRedirects` > 0, the http adapter); the fetch adapter
 * follows the Fetch standard, which drops Authorization on cross-origin redirects.
 */
export function guardRedirects(previous: BeforeRedirect | undefined, origins: ReadonlySet<string>, decorated?: readonly (readonly [string, string])[]): BeforeRedirect {
	if (previous !== undefined && guards.has(previous)) return previous
	const plain = previous === undefined ? plainGuards.get(origins) : undefined
	if (plain !== undefined) return plain
	const removed = decorated === undefined ? AUTHORIZATION_ONLY : new Set(['authorization', ...decorated.map(([name]) => name)])
	const guard: BeforeRedirect = (options, responseDetails, requestDetails) => {
		if (!origins.has(redirectOrigin(options) ?? '')) removeHeaders(options.headers, removed)
		previous?.(options, responseDetails, requestDetails)
	}
	guards.add(guard)
	if (previous === undefined) plainGuards.set(origins, guard)
	return guard
}

/** follow-redirects puts the next hop's URL parts on the options: `href`, else protocol and host. */
function redirectOrigin(options: Record<string, unknown>): string | undefined {
	if (typeof options.href === 'string') return originOf(options.href)
	if (typeof options.protocol !== 'string' || typeof options.host !== 'string') return undefined
	return originOf(`${options.protocol}//${options.host}`)
}

function removeHeaders(headers: unknown, names: ReadonlySet<string>): void {
	if (typeof headers !== 'object' || headers === null) return
	for (const key of Object.keys(headers)) {
		if (names.has(key.toLowerCase())) delete (headers as Record<string, unknown>)[key]
	}
}

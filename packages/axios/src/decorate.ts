import type { InternalAxiosRequestConfig } from 'axios'
import type { PreparedDecoration } from '@tokenwarden/core/providers'

/**
 * Adds the `decorate` option's headers and query parameters to a request that carries a token, where
 * the request has none of that name: a header set on the request or the instance, a key of `params`
 * (not `undefined` or `null`, which axios leaves out), or a parameter already in `url`'s query stays as
 * the caller set it. `params` is replaced by a copy, never changed in place (it may be the instance's).
 * Sending the config again adds nothing more.
 */
export function decorate(config: InternalAxiosRequestConfig, decoration: PreparedDecoration): void {
	for (const [name, value] of decoration.headers) if (!config.headers.has(name)) config.headers.set(name, value)
	if (decoration.searchParams.length === 0) return
	let params: Record<string, unknown> | URLSearchParams | undefined
	for (const [name, value] of decoration.searchParams) {
		if (hasParam(config, name)) continue
		params ??= copyParams(config.params)
		if (params instanceof URLSearchParams) params.append(name, value)
		else params[name] = value
	}
	if (params !== undefined) config.params = params
}

function hasParam({ params, url }: InternalAxiosRequestConfig, name: string): boolean {
	if (params instanceof URLSearchParams) {
		if (params.has(name)) return true
	} else if (typeof params === 'object' && params !== null && params[name] !== undefined && params[name] !== null) return true
	const mark = url?.indexOf('?') ?? -1
	if (mark === -1 || url === undefined) return false
	const hash = url.indexOf('#', mark)
	return new URLSearchParams(url.slice(mark + 1, hash === -1 ? undefined : hash)).has(name)
}

function copyParams(params: unknown): Record<string, unknown> | URLSearchParams {
	if (params instanceof URLSearchParams) return new URLSearchParams(params)
	return typeof params === 'object' && params !== null ? { ...(params as Record<string, unknown>) } : {}
}

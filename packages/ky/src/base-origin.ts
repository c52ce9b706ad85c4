import { originOf } from '@tokenwarden/core/adapter'

/** The options of either ky major that decide where a relative input goes. */
interface BaseOptions {
	/** ky 2: the input is resolved against it as a URL. */
	baseUrl?: unknown
	/** ky 2: joined in front of the input. */
	prefix?: unknown
	/** ky 1: joined in front of the input (ky 2 renamed it `prefix` and rejects it). */
	prefixUrl?: unknown
}

/**
 * The origin requests with a relative input go to. ky 2 joins `prefix` and input, then resolves against
 * `baseUrl`; ky 1 joins `prefixUrl` and input.
 */
export function baseOrigin({ baseUrl, prefix, prefixUrl }: BaseOptions): string | undefined {
	if (prefixUrl !== undefined && String(prefixUrl) !== '') return originOf(String(prefixUrl))
	const base = baseUrl === undefined ? undefined : String(baseUrl)
	if (prefix === undefined || String(prefix) === '') return originOf(base)
	try {
		return originOf(new URL(String(prefix), base))
	} catch {
		return undefined
	}
}

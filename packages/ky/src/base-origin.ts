import type { Options } from 'ky'
import { originOf } from '@tokenwarden/core/adapter'

/** The origin requests with a relative input go to: ky joins `prefix` and input, then resolves against `baseUrl`. */
export function baseOrigin({ baseUrl, prefix }: Options): string | undefined {
	const base = baseUrl === undefined ? undefined : String(baseUrl)
	if (prefix === undefined || String(prefix) === '') return originOf(base)
	try {
		return originOf(new URL(String(prefix), base))
	} catch {
		return undefined
	}
}

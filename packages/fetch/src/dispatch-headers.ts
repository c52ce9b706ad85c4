import type { IncomingHttpHeaders } from 'node:http'

/** What undici accepts as request headers in dispatch options. */
export type DispatchHeaders = Record<string, string | string[] | undefined> | (string | string[])[] | Iterable<[string, string | string[] | undefined]> | null | undefined

/**
 * Dispatch headers with `authorization` set (any Authorization the caller gave, in any casing, replaced):
 * a record, a flat `[name, value, ...]` list, a list of pairs or any iterable of pairs, as undici takes them.
 */
export function withDispatchAuthorization(headers: DispatchHeaders, authorization: string): Record<string, string | string[] | undefined> {
	const result: Record<string, string | string[] | undefined> = {}
	if (headers !== null && headers !== undefined) {
		if (Array.isArray(headers) && (headers.length === 0 || !Array.isArray(headers[0]))) {
			for (let index = 0; index + 1 < headers.length; index += 2) copy(result, String(headers[index]), headers[index + 1] as string | string[])
		} else if (typeof (headers as Iterable<unknown>)[Symbol.iterator] === 'function') {
			for (const [name, value] of headers as Iterable<[string, string | string[] | undefined]>) copy(result, name, value)
		} else {
			for (const name in headers) if (Object.hasOwn(headers, name)) copy(result, name, (headers as Record<string, string | string[] | undefined>)[name])
		}
	}
	result.authorization = authorization
	return result
}

function copy(into: Record<string, string | string[] | undefined>, name: string, value: string | string[] | undefined): void {
	if (name.toLowerCase() !== 'authorization') into[name] = value
}

/** A response header of undici's parsed headers (names lower-cased) for the 401 policy's `headers.get`. */
export function headerGetter(headers: IncomingHttpHeaders): { get(name: string): unknown } {
	return { get: (name) => headers[name.toLowerCase()] }
}

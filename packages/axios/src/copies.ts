import { createRequire } from 'node:module'
import { AxiosError, AxiosHeaders, CanceledError, getAdapter } from 'axios'

/** What the adapter needs of the axios copy a request belongs to. */
export interface AxiosCopy {
	getAdapter: typeof getAdapter
	AxiosError: typeof AxiosError
	CanceledError: typeof CanceledError
}

const imported: AxiosCopy = { getAdapter, AxiosError, CanceledError }
let required: (AxiosCopy & { AxiosHeaders?: unknown }) | undefined

/**
 * The axios copy a request belongs to, told by the class of its headers. axios ships an ES module and a
 * CommonJS build; this package imports the first, a CommonJS program `require`s the second, and errors
 * made by the other copy fail the caller's `instanceof AxiosError`. A request of any other copy (another
 * axios install: a nested or linked one) gets the imported copy's adapters and errors, which work
 * with its config; `axios.isAxiosError` and the error `code`s tell them apart as usual.
 */
export function copyOf(headers: object): AxiosCopy {
	if (headers instanceof AxiosHeaders) return imported
	required ??= createRequire(import.meta.url)('axios') as AxiosCopy & { AxiosHeaders?: unknown }
	const { AxiosHeaders: Headers } = required
	return typeof Headers === 'function' && headers instanceof Headers && typeof required.getAdapter === 'function' ? required : imported
}

import { withTokens } from '@tokenwarden/fetch'
import { type AdapterDriver, API } from '../../../test-support/adapters.ts'

/** What the driver rejects with for an error status: fetch itself resolves, as the caller's code would check `response.ok`. */
export class FetchHttpError extends Error {
	constructor(readonly response: Response) {
		super(`HTTP ${response.status}`)
	}
}

type TokenFetch = typeof fetch

/** Resolves to the status, or rejects with {@link FetchHttpError} for 4xx/5xx (the body read, as callers do). */
export async function statusOf(response: Response): Promise<number> {
	await response.arrayBuffer()
	if (!response.ok) throw new FetchHttpError(response)
	return response.status
}

/** The fetch adapter as the shared scenarios drive it: the per-request choice is `init.tokenwarden`. */
export const driver: AdapterDriver<TokenFetch> = {
	create: (tokens, options, base = API) => withTokens(fetch, tokens, { baseUrl: base, ...options }),
	get: async (client, url, token, headers) =>
		statusOf(await client(url, { ...(token === undefined ? {} : { tokenwarden: token }), ...(headers === undefined ? {} : { headers }) })),
	post: async (client, url, body) => statusOf(await client(url, { method: 'POST', body: body as BodyInit, duplex: 'half' } as RequestInit)),
	HttpError: FetchHttpError,
}

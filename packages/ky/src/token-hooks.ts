import type { Token, TokenRequest } from '@tokenwarden/core'
import ky, { type AfterResponseState, type BeforeErrorState, type BeforeRequestState, type Hooks, type KyRequest, type NormalizedOptions } from 'ky'
import { originOf } from './origins.js'
import { requestTokenOf, resolveSettings, type Settings } from './resolve-options.js'
import type { TokenHooksOptions, TokenSource } from './types/options.js'

/** What one ky call sent: keyed by its `context`, which ky creates afresh for every call and keeps across its retries. */
interface Call {
	owner: Settings
	token: Token
	request: TokenRequest
	retried: boolean
}

const calls = new WeakMap<object, Call>()

/** Hook functions made here, so that `withTokens` can replace an earlier installation instead of adding to it. */
export const ownHooks = new WeakSet<object>()

/** The code of ky's `ForceRetryError` for the retry after a 401, visible to `beforeRetry` hooks. */
export const RETRY_CODE = 'TOKENWARDEN_UNAUTHORIZED'

/**
 * ky hooks that send `Authorization: <type> <token>` from the manager to the allowed origins
 * ([RFC 6750 §2.1](https://www.rfc-editor.org/rfc/rfc6750#section-2.1)) and, after a 401 from one
 * ([RFC 6750 §3.1](https://www.rfc-editor.org/rfc/rfc6750#section-3.1)), drop that token and retry once.
 * Hooks cannot see the client's `baseUrl`, so `origins` is required; {@link withTokens} takes it from the client.
 *
 * @throws TypeError when the options are wrong.
 */
export function tokenHooks(manager: TokenSource, options: TokenHooksOptions): Hooks {
	return createHooks(resolveSettings(manager, options, undefined, 'tokenHooks'))
}

export function createHooks(settings: Settings): Hooks {
	const { manager, origins } = settings

	async function beforeRequest({ request, options }: BeforeRequestState): Promise<void> {
		// Another installation on the same chain already handles this call (first one wins).
		if (calls.has(options.context)) return
		const tokenRequest = requestTokenOf(options.context.tokenwarden, settings.defaults, 'context.tokenwarden')
		if (tokenRequest === false || !origins.has(originOf(request.url) ?? '')) return
		const token = await manager.getToken({ ...tokenRequest, signal: request.signal })
		request.headers.set('authorization', `${token.tokenType} ${token.accessToken}`)
		calls.set(options.context, { owner: settings, token, request: tokenRequest, retried: false })
	}

	async function afterResponse({ request, options, response, retryCount }: AfterResponseState) {
		if (response.status !== 401) return
		const call = calls.get(options.context)
		if (call?.owner !== settings || call.retried || !settings.retryUnauthorized) return
		// A 401 from another origin (after a redirect, which dropped the token) says nothing about it.
		if (response.redirected && !origins.has(originOf(response.url) ?? '')) return
		// The retry is one of ky's retries: with none left, the 401 itself is the clearer outcome.
		if (retryCount >= options.retry.limit || !replayable(request, options)) return
		call.retried = true
		// Compare-and-delete: many calls failing with the same stale token cause one token request.
		await manager.invalidate(call.token)
		call.token = await manager.getToken({ ...call.request, signal: request.signal })
		const headers = new Headers(request.headers)
		headers.set('authorization', `${call.token.tokenType} ${call.token.accessToken}`)
		return ky.retry({ request: new Request(request, { headers }), delay: 0, code: RETRY_CODE })
	}

	/**
	 * ky errors (HTTPError, TimeoutError, ...) keep the failed `Request`, whose headers `util.inspect`
	 * prints: make it non-enumerable (still readable as `error.request`) once a token went out with it.
	 * Other errors, those of the manager among them, pass untouched.
	 */
	function beforeError({ error, options }: BeforeErrorState): Error {
		if (calls.get(options.context)?.owner === settings && Object.hasOwn(error, 'request')) {
			Object.defineProperty(error, 'request', { enumerable: false })
		}
		return error
	}

	for (const hook of [beforeRequest, afterResponse, beforeError]) ownHooks.add(hook)
	return { beforeRequest: [beforeRequest], afterResponse: [afterResponse], beforeError: [beforeError] }
}

/**
 * A body that can be sent again. ky keeps a copy of the request for retries, but a stream (or an
 * async iterable) is replayed by buffering all of it, and a `Request` given as input hides what its
 * body was: neither is retried, the 401 reaches the caller.
 */
function replayable(request: KyRequest, options: Readonly<NormalizedOptions>): boolean {
	if (request.bodyUsed) return false
	const { body } = options
	if (body === undefined || body === null) return request.body === null
	if (body instanceof ReadableStream) return false
	return typeof (body as { [Symbol.asyncIterator]?: unknown })[Symbol.asyncIterator] !== 'function'
}

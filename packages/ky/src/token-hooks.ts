import type { TokenRequest } from '@tokenwarden/core'
import type { BeforeErrorState, Hooks, InitHook, Options } from 'ky'
import { type AdapterSettings, originOf, requestTokenOf, resolveAdapterSettings } from '@tokenwarden/core/adapter'
import { baseOrigin } from './base-origin.js'
import type { TokenHooksOptions, TokenSource } from './types/options.js'

type Fetch = NonNullable<Options['fetch']>

/** One ky call, keyed by its `context`, which ky creates afresh for every call and keeps across its retries. */
interface Call {
	/** The installation that claimed the call. */
	owner: object
	settings: AdapterSettings
	/** A token went out: its errors get the request hidden. */
	sent: boolean
	/** The one retry after a 401 was made. */
	retried: boolean
}

const calls = new WeakMap<object, Call>()

/** Hook functions made here, so that `withTokens` can replace an earlier installation instead of adding to it. */
export const ownHooks = new WeakSet<object>()

/**
 * ky hooks that send `Authorization: <type> <token>` from the manager to the allowed origins
 * ([RFC 6750 §2.1](https://www.rfc-editor.org/rfc/rfc6750#section-2.1)) and, after a 401 from one
 * ([RFC 6750 §3.1](https://www.rfc-editor.org/rfc/rfc6750#section-3.1)), drop that token and retry once.
 * Without `origins`, tokens go to the origin of the `baseUrl` / `prefix` each call is made with (ky hands
 * its options to `init` hooks); a call with neither fails with a TypeError rather than guess, unless it
 * sends no token (`context: { tokenwarden: false }`). Every 401 from an allowed origin drops the token it got.
 *
 * @throws TypeError when the options are wrong.
 */
export function tokenHooks(manager: TokenSource, options?: TokenHooksOptions): Hooks {
	if (options?.origins !== undefined) {
		const settings = resolveAdapterSettings(manager, options, undefined, 'tokenHooks')
		return createHooks(() => settings)
	}
	// Check everything but the origin now, so a mistake still surfaces where the hooks are made.
	resolveAdapterSettings(manager, options, 'https://origin.checked.per.call', 'tokenHooks')
	const byOrigin = new Map<string | undefined, AdapterSettings>()
	return createHooks((callOptions) => {
		const origin = baseOrigin(callOptions)
		let settings = byOrigin.get(origin)
		if (settings === undefined) {
			settings = resolveAdapterSettings(manager, options, origin, 'tokenHooks')
			byOrigin.set(origin, settings)
		}
		return settings
	})
}

/**
 * The token goes on in a `fetch` wrapper that the `init` hook installs for each call, not in
 * `beforeRequest`/`afterResponse`: the wrapper sees the exact request each attempt sends (after every
 * hook and ky retry, so its origin is the one checked) and the response status without the response
 * clone that ky makes for each `afterResponse` hook, which costs more than everything else here.
 */
export function createHooks(settingsFor: (options: Options) => AdapterSettings): Hooks {
	const installation = {}

	const init: InitHook = (options) => {
		// ky gives init hooks a fresh context object per call (ky's own `{}` when the call has none).
		options.context ??= {}
		const context = options.context
		// Another installation on the chain may have claimed the call already: the first one wins.
		if (calls.has(context)) return
		// An opted-out call goes through untouched, before anything that could fail (the per-call origin).
		if (context.tokenwarden === false) return
		let request: TokenRequest | false
		let settings: AdapterSettings
		try {
			settings = settingsFor(options)
			request = requestTokenOf(context.tokenwarden, settings.defaults, 'context.tokenwarden')
		} catch (error) {
			// init hooks throw synchronously out of `ky()`; reject the call instead, like any other failure.
			options.fetch = () => Promise.reject(error)
			return
		}
		if (request === false) return
		const call: Call = { owner: installation, settings, sent: false, retried: false }
		calls.set(context, call)
		options.fetch = tokenFetch(options.fetch ?? globalThis.fetch.bind(globalThis), request, call, replayableBody(options))
	}

	function tokenFetch(send: Fetch, tokenRequest: TokenRequest, call: Call, replayable: boolean): Fetch {
		const { manager, origins, retryUnauthorized } = call.settings
		return async (input, init) => {
			const request = input instanceof Request ? input : new Request(input, init)
			if (!origins.has(originOf(request.url) ?? '')) return send(request, init)
			const token = await manager.getToken({ ...tokenRequest, signal: request.signal })
			request.headers.set('authorization', `${token.tokenType} ${token.accessToken}`)
			call.sent = true
			// For the retry: a request without a body can be sent again as it is; one with a body needs a
			// copy made before the body is consumed.
			const spare = !retryUnauthorized || call.retried ? undefined : request.body === null ? request : replayable ? request.clone() : undefined
			const response = await send(request, init)
			if (!unauthorized(response)) return response
			// Compare-and-delete, on every 401, retried or not: many calls failing with the same stale token
			// cause one token request, and a call that is not retried does not leave the token for the next ones.
			await manager.invalidate(token)
			if (spare === undefined || call.retried) return response
			call.retried = true
			await response.body?.cancel().catch(() => {})
			const fresh = await manager.getToken({ ...tokenRequest, signal: request.signal })
			spare.headers.set('authorization', `${fresh.tokenType} ${fresh.accessToken}`)
			const second = await send(spare, init)
			if (unauthorized(second)) await manager.invalidate(fresh)
			return second
		}

		/** A 401 about the token: not one from another origin after a redirect (which dropped the token). */
		function unauthorized(response: Response): boolean {
			return response.status === 401 && !(response.redirected && !origins.has(originOf(response.url) ?? ''))
		}
	}

	/**
	 * ky errors (HTTPError, TimeoutError, ...) keep the failed `Request`, whose headers `util.inspect`
	 * prints: make it non-enumerable (still readable as `error.request`) once a token went out in the call.
	 * Other errors, those of the manager among them, pass untouched.
	 */
	function beforeError({ error, options }: BeforeErrorState): Error {
		const call = calls.get(options.context)
		if (call?.owner === installation && call.sent && Object.hasOwn(error, 'request')) {
			Object.defineProperty(error, 'request', { enumerable: false })
		}
		return error
	}

	ownHooks.add(init)
	ownHooks.add(beforeError)
	return { init: [init], beforeError: [beforeError] }
}

/**
 * Whether the call's body can be sent again. A stream or an async iterable is consumed by the first
 * attempt (copying it would buffer all of it), and a `Request` given as input with a body hides what
 * that body was: neither is retried, the 401 reaches the caller.
 */
function replayableBody(options: Options): boolean {
	if (options.json !== undefined) return true
	const { body } = options
	if (body === undefined || body === null) return false
	if (body instanceof ReadableStream) return false
	return typeof (body as { [Symbol.asyncIterator]?: unknown })[Symbol.asyncIterator] !== 'function'
}

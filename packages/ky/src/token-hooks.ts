import type { Token, TokenRequest } from '@tokenwarden/core'
import type { Hooks, Options } from 'ky'
import { createTokenPolicy, resolveAdapterSettings, type TokenPolicy } from '@tokenwarden/core/adapter'
import { decorateQuery, type PreparedDecoration, prepareDecoration } from '@tokenwarden/core/providers'
import { baseOrigin } from './base-origin.js'
import type { TokenHooksOptions, TokenSource } from './types/options.js'

type Fetch = (input: RequestInfo | URL, init?: RequestInit) => Promise<Response>

/** One ky call that sends a token. */
interface Call {
	/** The installation that claimed the call. */
	owner: object
	/** The 401 policy of `@tokenwarden/core/adapter` for the installation's settings. */
	policy: TokenPolicy
	request: TokenRequest
	/** A token went out: its errors get the request hidden. */
	sent: boolean
	/** The one retry after a 401 was made. */
	retried: boolean
	/** ky 1: its errors name the request, not the call's context, so the requests sent are recorded. */
	byRequest: boolean
	/** Whether the call has a body (`body` or `json`); without one the request is sent again as it is. */
	hasBody: boolean
	/** Whether the body can be sent again. */
	replayable: boolean
	/** The installation's `decorate` option, prepared; undefined for none. */
	decoration: PreparedDecoration | undefined
}

/**
 * ky 2: where a call's {@link Call} is kept: on its `context`, which ky creates afresh for every call
 * (a copy of the one given) and keeps across its retries; non-enumerable, so it stays out of what the
 * application's hooks log. (A WeakMap entry per call cost more than the rest of the adapter.)
 */
const CALL = Symbol('tokenwarden.call')

/** ky 2: the call that claimed this context, if any. */
function claimOf(context: object): Call | undefined {
	return (context as { [CALL]?: Call })[CALL]
}

/** ky 1: calls keyed by their `context`, which ky creates afresh for every call and keeps across its retries. */
const calls = new WeakMap<object, Call>()
/** ky 1: what the `beforeRequest` hook decided for a request, for the fetch wrapper that sends it (`false`: no token). */
const decided = new WeakMap<object, Call | false>()

/** Hook functions made here, so that `withTokens` can replace an earlier installation instead of adding to it. */
export const ownHooks = new WeakSet<object>()
/** Fetch wrappers installed by `withTokens`, with what each one wraps. */
const installedFetches = new WeakMap<Fetch, Fetch | undefined>()

/** ky's own fetch: the global one, looked up at call time (as ky does when no `fetch` option is given). */
const globalFetch: Fetch = (input, init) => globalThis.fetch(input, init)

/**
 * ky hooks that send `Authorization: <type> <token>` from the manager to the allowed origins
 * ([RFC 6750 §2.1](https://www.rfc-editor.org/rfc/rfc6750#section-2.1)) and, after a 401 from one
 * ([RFC 6750 §3.1](https://www.rfc-editor.org/rfc/rfc6750#section-3.1)), drop that token and retry once.
 * Without `origins`, tokens go to the origin of the `baseUrl` / `prefix` each call is made with (ky hands
 * its options to `init` hooks); a call with neither fails with a TypeError rather than guess, unless it
 * sends no token (`context: { tokenwarden: false }`). Every 401 from an allowed origin drops the token it got.
 * These hooks need ky 2 (its `init` hook); with ky 1 a call that would need a token rejects with a
 * TypeError saying to use {@link withTokens}, which works with both.
 *
 * When it fails: ky hands hooks nothing of the instance they are given to, so `tokenHooks` cannot see the
 * client's `baseUrl` when it is called. Everything else (manager, scope, `decorate`, the `origins` entries)
 * is checked then; without `origins`, the base URL is checked at each call, when ky runs the `init` hook
 * (before any request is sent, token request included), and a call with none rejects with a TypeError
 * saying what to pass. To fail at setup instead, pass `origins` or use {@link withTokens}.
 *
 * @throws TypeError when the options are wrong (at once), and, through the call's promise, for a call
 * without `origins` whose options have no absolute `baseUrl` / `prefix` (ky 1: `prefixUrl`).
 */
export function tokenHooks(manager: TokenSource, options?: TokenHooksOptions): Hooks {
	const [adapterOptions, decoration] = splitDecoration(options, 'tokenHooks')
	if (adapterOptions?.origins !== undefined) {
		const policy = createTokenPolicy(resolveAdapterSettings(manager, adapterOptions, undefined, 'tokenHooks'))
		return createInstallation(() => policy, decoration).hooks
	}
	// Check everything but the origin now, so a mistake still surfaces where the hooks are made.
	resolveAdapterSettings(manager, adapterOptions, 'https://origin.checked.per.call', 'tokenHooks')
	const byOrigin = new Map<string | undefined, TokenPolicy>()
	return createInstallation((callOptions) => {
		const origin = baseOrigin(callOptions)
		// ky hands hooks no options when they are made: the base URL is known only now, at the call.
		if (origin === undefined) throw new TypeError(NO_ORIGIN)
		let policy = byOrigin.get(origin)
		if (policy === undefined) {
			policy = createTokenPolicy(resolveAdapterSettings(manager, adapterOptions, origin, 'tokenHooks'))
			byOrigin.set(origin, policy)
		}
		return policy
	}, decoration).hooks
}

/** Why a call through `tokenHooks` without `origins` failed: what to pass instead. */
const NO_ORIGIN =
	"tokenwarden: tokenHooks cannot tell where tokens may go: this call has no absolute baseUrl or prefix (ky 1: prefixUrl), and tokenHooks was made without origins. Pass origins to tokenHooks (tokenHooks(tokens, { origins: ['https://api.example.com'] })), give ky.create a baseUrl, or use withTokens(client, tokens), which checks this when it installs"

/**
 * The adapter options without `decorate`, and `decorate` checked and prepared (`caller` names it in
 * errors): the rest goes to `resolveAdapterSettings` of `@tokenwarden/core/adapter`.
 */
export function splitDecoration<T extends { decorate?: unknown }>(options: T | undefined, caller: string): [Omit<T, 'decorate'> | undefined, PreparedDecoration | undefined] {
	if (typeof options !== 'object' || options === null || !Object.hasOwn(options, 'decorate')) return [options, undefined]
	const { decorate, ...rest } = options
	return [rest, prepareDecoration(decorate, `${caller} option decorate`)]
}

/** One installation: its hooks, and (for `withTokens`) the fetch wrapper that carries tokens on ky 1. */
export interface Installation {
	/** Hooks for either ky major (what `tokenHooks` hands out). */
	hooks: Hooks
	/** Only what ky 2 runs: its `init` hook does the work, so ky merges two hook lists per call instead of four. */
	kyTwoHooks: Hooks
	/** Wraps the instance's `fetch` once, at install time: ky 1 has no `init` hook to do it per call. */
	wrapFetch(parent: Fetch | undefined): Fetch
}

/**
 * The token goes on in a `fetch` wrapper, not in `beforeRequest`/`afterResponse`: the wrapper sees the
 * exact request each attempt sends (after every hook and ky retry, so its origin is the one checked),
 * runs inside ky's `timeout` (so the wait for a token is bounded by it), and sees the response status
 * without the response clone that ky makes for each `afterResponse` hook.
 *
 * ky 2 runs `init` hooks, which wrap each call's `fetch` (whatever it is by then). ky 1 has none: there
 * `withTokens` installs the wrapper on the instance, and a `beforeRequest` hook passes the call's
 * `context` to it through the request. Nothing here uses a value of the `ky` module itself (a marker,
 * a class), so the hooks work whichever copy of ky the instance comes from.
 */
export function createInstallation(policyFor: (options: Options) => TokenPolicy, decoration?: PreparedDecoration): Installation {
	const installation = {}

	/** The call's token request, or false for none; throws on a bad per-call option or origin. */
	function decide(options: Options): Call | false {
		const context = options.context
		// An opted-out call goes through untouched, before anything that could fail (the per-call origin).
		if (context?.tokenwarden === false) return false
		const policy = policyFor(options)
		const request = policy.tokenRequestOf(context?.tokenwarden, 'context.tokenwarden')
		if (request === false) return false
		const hasBody = (options.body !== undefined && options.body !== null) || options.json !== undefined
		return { owner: installation, policy, request, sent: false, retried: false, byRequest: false, hasBody, replayable: hasBody && replayableBody(options), decoration }
	}

	/** ky 2: runs once per call, before the request exists, with options ky copied for this call. */
	function init(options: Options): void {
		// ky gives init hooks a fresh context object per call (ky's own `{}` when the call has none).
		options.context ??= {}
		const context = options.context
		// Another installation on the chain may have claimed the call already: the first one wins.
		if (claimOf(context) !== undefined) return
		// The ky 1 wrapper of a withTokens installation has nothing to do on ky 2.
		const send = unwrapped(options.fetch as Fetch | undefined)
		if (send !== options.fetch) options.fetch = send
		let call: Call | false
		try {
			call = decide(options)
		} catch (error) {
			// init hooks throw synchronously out of `ky()`; reject the call instead, like any other failure.
			options.fetch = () => Promise.reject(error)
			return
		}
		if (call === false) return
		Object.defineProperty(context, CALL, { value: call })
		const base = send ?? globalFetch
		options.fetch = (input, init) => tokenFetch(base, input instanceof Request ? input : new Request(input, init), init, call)
	}

	/**
	 * ky 2 calls `beforeRequest({ request, options })`, after `init` did everything: nothing to do.
	 * ky 1 calls `beforeRequest(request, options)`: record the call's token choice for the fetch wrapper
	 * installed by `withTokens`. Where there is none (`tokenHooks` on ky 1, or a `fetch` option given after
	 * `withTokens`), a call that needs a token fails loudly rather than going out without one.
	 */
	function beforeRequest(request: unknown, options?: Options): void {
		if (!(request instanceof Request) || options === undefined) return
		// ky 1 runs these hooks again for each of its retries, with the same context: one decision per call.
		const context = options.context as object
		let call = calls.get(context) ?? decided.get(context)
		if (call === undefined) {
			call = decide(options)
			if (call === false) decided.set(context, false)
			else {
				call.byRequest = true
				calls.set(context, call)
			}
		}
		// Another installation on the chain claimed the call: the first one wins.
		if (call !== false && call.owner !== installation) return
		decided.set(request, call)
		if (call === false || installedFetches.has(options.fetch as Fetch) || !call.policy.allows(request.url)) return
		throw new TypeError('tokenwarden: with ky 1, install with withTokens(client, manager) and give ky no fetch option after it (tokenHooks and a later fetch option need ky 2)')
	}

	function wrapFetch(parent: Fetch | undefined): Fetch {
		const send = unwrapped(parent) ?? globalFetch
		const wrapper: Fetch = (input, init) => {
			const request = input instanceof Request ? input : new Request(input, init)
			let call = decided.get(request)
			if (call === false) return send(request, init)
			if (call === undefined) {
				// A request another hook put in place of the one recorded: the call's context is unknown, the client's defaults apply.
				const policy = policyFor({})
				call = {
					owner: installation,
					policy,
					request: policy.settings.defaults,
					sent: false,
					retried: false,
					byRequest: true,
					hasBody: request.body !== null,
					replayable: false,
					decoration,
				}
			}
			return tokenFetch(send, request, init, call)
		}
		installedFetches.set(wrapper, parent)
		return wrapper
	}

	/**
	 * ky errors (HTTPError, TimeoutError, ...) keep the failed `Request`, whose headers `util.inspect`
	 * prints: make it non-enumerable (still readable as `error.request`) once a token went out in the call.
	 * Other errors, those of the manager among them, pass untouched. ky 2 calls it with `{ error, options }`,
	 * ky 1 with the error (whose request is the one the fetch wrapper saw).
	 */
	function beforeError(state: unknown): Error {
		const error = (state instanceof Error ? state : (state as { error: Error }).error) as Error & { request?: unknown }
		const call = state instanceof Error ? sentBy(error.request) : claimOf((state as { options: Options }).options.context as object)
		if (call !== undefined && call.owner === installation && call.sent && Object.hasOwn(error, 'request')) {
			Object.defineProperty(error, 'request', { enumerable: false })
		}
		return error
	}

	/** ky 1 retries a failed `fetch` as a network error; an error of the manager (OAuthError, ConsentRequiredError, ...) is final. */
	function beforeRetry({ error }: { error: unknown }): void {
		if (typeof error === 'object' && error !== null && managerErrors.has(error)) throw error
	}

	ownHooks.add(init)
	ownHooks.add(beforeRequest)
	ownHooks.add(beforeRetry)
	ownHooks.add(beforeError)
	return {
		hooks: { init: [init], beforeRequest: [beforeRequest], beforeRetry: [beforeRetry], beforeError: [beforeError] } as unknown as Hooks,
		kyTwoHooks: { init: [init], beforeError: [beforeError] } as unknown as Hooks,
		wrapFetch,
	}
}

/** ky 1: the call a request belongs to, by the request ky sent (HTTPError, TimeoutError carry it). */
function sentBy(request: unknown): Call | undefined {
	const call = request instanceof Request ? (sentRequests.get(request) ?? decided.get(request)) : undefined
	return call === false ? undefined : call
}

/** ky 1: the call of each request sent with a token (ky 1 errors name the request, not the context). */
const sentRequests = new WeakMap<Request, Call>()

/** What a `withTokens` wrapper wraps, when `fetch` is one: a later installation replaces it instead of stacking. */
function unwrapped(fetch: Fetch | undefined): Fetch | undefined {
	let current = fetch
	while (current !== undefined && installedFetches.has(current)) current = installedFetches.get(current)
	return current
}

/**
 * Sends `request` with a token, translating between fetch and the one 401 policy of
 * `@tokenwarden/core/adapter`, which decides the rest: a response that rejects the token has it dropped
 * and, once per call and when the policy says so, a copy of the request made before it went out is sent
 * with the new token.
 */
async function tokenFetch(send: Fetch, given: Request, init: RequestInit | undefined, call: Call): Promise<Response> {
	const { policy } = call
	if (!policy.allows(given.url)) return send(given, init)
	const request = call.decoration === undefined ? given : decorated(given, call.decoration)
	// A cached token needs no wait (and no promise turn).
	const token = policy.cachedToken(call.request) ?? (await tokenFor(call, request))
	request.headers.set('authorization', policy.authorizationHeader(token))
	call.sent = true
	if (call.byRequest) sentRequests.set(request, call)
	// For the retry: a request without a body can be sent again as it is; one with a body needs a
	// copy made before the body is consumed.
	const spare = !policy.settings.retryUnauthorized || call.retried ? undefined : !call.hasBody ? request : call.replayable ? request.clone() : undefined
	const response = await send(request, init)
	if (policy.classify(response) === 'pass') return response
	const fresh = await rejected(call, request, token, spare !== undefined)
	if (fresh === undefined || spare === undefined) return response
	call.retried = true
	await response.body?.cancel().catch(() => {})
	spare.headers.set('authorization', policy.authorizationHeader(fresh))
	if (call.byRequest) sentRequests.set(spare, call)
	const second = await send(spare, init)
	if (policy.classify(second) === 'token-rejected') await rejected(call, spare, fresh, false)
	return second
}

/**
 * The request with the `decorate` option's query parameters and headers it does not have yet (the
 * caller's own stay): only for a request that carries a token to an allowed origin. A new query needs a
 * new `Request`; headers are set on the request itself.
 */
function decorated(request: Request, decoration: PreparedDecoration): Request {
	const url = decorateQuery(request.url, decoration)
	const result = url === request.url ? request : new Request(url, request)
	for (const [name, value] of decoration.headers) if (!result.headers.has(name)) result.headers.set(name, value)
	return result
}

/** Errors of the token manager met while sending: ky 1 takes any error of `fetch` for a network error and would retry it. */
const managerErrors = new WeakSet<object>()

/** The call's token, bounded by the request's signal (ky's timeout and the caller's signal abort it). */
async function tokenFor(call: Call, request: Request): Promise<Token> {
	try {
		return await call.policy.tokenFor(call.request, { signal: request.signal })
	} catch (error) {
		throw managerError(error, request)
	}
}

/** After a rejected token: the policy drops it and, when `retry`, says which token to retry with (undefined: none). */
async function rejected(call: Call, request: Request, sent: Token, retry: boolean): Promise<Token | undefined> {
	try {
		return await call.policy.afterRejection(sent, call.request, retry ? { signal: request.signal } : false)
	} catch (error) {
		throw managerError(error, request)
	}
}

/** What a failure of the manager rejects the call with. */
function managerError(error: unknown, request: Request): unknown {
	// Aborted (the caller's signal, or ky's timeout, which rejects with its own TimeoutError first):
	// the call fails as a fetch aborted by that signal does, with the signal's reason.
	if (request.signal.aborted) return request.signal.reason
	if (typeof error === 'object' && error !== null) managerErrors.add(error)
	return error
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

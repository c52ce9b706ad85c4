import type { IncomingHttpHeaders } from 'node:http'
import type { Token, TokenRequest } from '@tokenwarden/core'
import { createTokenPolicy, resolveAdapterSettings, type TokenPolicy, type TokenWait } from '@tokenwarden/core/adapter'
import type { Dispatcher } from 'undici'
import { type DispatchHeaders, headerGetter, withDispatchAuthorization } from './dispatch-headers.js'
import type { TokenInterceptorOptions, TokenSource, TokenwardenRequestOption } from './types/options.js'

type DispatchOptions = Dispatcher.DispatchOptions & { tokenwarden?: TokenwardenRequestOption | undefined; signal?: unknown }
type Dispatch = (options: DispatchOptions, handler: Dispatcher.DispatchHandler) => boolean
type Controller = Dispatcher.DispatchController

/** A rejected response held back while the policy decides whether to retry: its body is kept up to this many bytes. */
const MAX_HELD_BODY = 1024 * 1024

/**
 * An undici interceptor (for `Dispatcher.compose`, like undici's own `interceptors.retry` and
 * `interceptors.redirect`) that adds `Authorization: <type> <token>` from the manager to every request
 * to one of `origins`, with the one 401 policy of `@tokenwarden/core/adapter`: a 401 that rejects the
 * token drops it and, when the request body can be sent again (none, a string or bytes) and the manager
 * has a different token, the request is dispatched once more; the handler sees one response.
 *
 * Per request, the dispatch option `tokenwarden` (`false`, or `{ scope, subject }`), where the API
 * passes dispatch options through (`undici.request(url, { tokenwarden: false })`); requests made by
 * `fetch` through the dispatcher get the defaults. The request's `signal` bounds the wait for a token.
 * Every hop of a redirect is a dispatch of its own when the redirect is followed above this interceptor
 * (fetch, or `interceptors.redirect()` listed after it in `compose`): each carries the token exactly when
 * its origin is allowed.
 *
 * @example
 * ```ts
 * const agent = new Agent().compose(tokenInterceptor(tokens, { origins: ['https://api.example.com'] }))
 * setGlobalDispatcher(agent) // Node's fetch too
 * ```
 * @throws TypeError when an option is wrong or `origins` is missing.
 */
export function tokenInterceptor(manager: TokenSource, options: TokenInterceptorOptions): Dispatcher.DispatcherComposeInterceptor {
	if (typeof options !== 'object' || options === null || options.origins === undefined) {
		throw new TypeError('tokenwarden: expected tokenInterceptor option origins to be an array of origins (a dispatcher has no base URL to default to), got none')
	}
	const policy = createTokenPolicy(resolveAdapterSettings(manager, options, undefined, 'tokenInterceptor'))
	return (dispatch) => {
		const next = dispatch as Dispatch
		return (options: DispatchOptions, handler: Dispatcher.DispatchHandler) => {
			const option = options.tokenwarden
			if (option === false) return next(options, handler)
			const origin = typeof options.origin === 'string' ? options.origin : options.origin?.toString()
			if (!policy.allows(origin)) return next(options, handler)
			const request = option === undefined ? policy.settings.defaults : (policy.tokenRequestOf(option, 'dispatch option tokenwarden') as TokenRequest)
			const tokenDispatch = new TokenDispatch(policy, next, options, handler, request)
			// The hot path: a cached token goes on now, in this dispatch call, with no promise turn.
			const token = policy.cachedToken(request)
			if (token !== undefined) return tokenDispatch.send(token)
			tokenDispatch.start()
			return true
		}
	}
}

/**
 * The controller the handler holds for the whole request, whichever dispatch (first, or the retry)
 * carries it at the moment: pause, resume and abort reach the live one (as undici's RetryHandler does).
 */
class StableController implements Controller {
	target: Controller | undefined
	#paused = false
	#reason: Error | null = null

	constructor(private readonly owner: TokenDispatch) {}

	get aborted(): boolean {
		return this.#reason !== null || (this.target?.aborted ?? false)
	}
	get paused(): boolean {
		return this.#paused || (this.target?.paused ?? false)
	}
	get reason(): Error | null {
		return this.#reason ?? this.target?.reason ?? null
	}
	abort(reason: Error): void {
		this.#reason ??= reason
		this.target?.abort(reason)
		this.owner.fail(reason)
	}
	pause(): void {
		this.#paused = true
		this.target?.pause()
	}
	resume(): void {
		this.#paused = false
		this.target?.resume()
	}
	attach(target: Controller): void {
		this.target = target
		if (this.#paused) target.pause()
	}
}

/**
 * One request through the interceptor: the token, the attempt, and at most one retry. It is the
 * handler of each dispatch it makes (one at a time), and passes everything on to the caller's handler,
 * except a rejected response that may be retried.
 */
class TokenDispatch implements Dispatcher.DispatchHandler {
	readonly #controller: StableController
	#token: Token | undefined
	#retried = false
	#started = false
	#finished = false
	/** The current attempt's response is being held back (it rejected the token, a retry may follow). */
	#holding = false
	/** The rejected response being held back: status, headers, message, body chunks. */
	#held: { status: number; headers: IncomingHttpHeaders; message: string | undefined; chunks: Buffer[]; size: number } | undefined

	constructor(
		private readonly policy: TokenPolicy,
		private readonly dispatch: Dispatch,
		private readonly options: DispatchOptions,
		private readonly handler: Dispatcher.DispatchHandler,
		private readonly request: TokenRequest,
	) {
		this.#controller = new StableController(this)
	}

	/** The request's `signal` bounds the wait for a token (made only when there is a wait). */
	get #wait(): TokenWait | undefined {
		const signal = this.options.signal
		return signal instanceof AbortSignal ? { signal } : undefined
	}

	/** Waits for the token, then sends. */
	start(): void {
		this.policy.tokenFor(this.request, this.#wait).then(
			(token) => {
				this.send(token)
			},
			(error: unknown) => this.fail(this.#abortReason() ?? error),
		)
	}

	/** Dispatches the request with `token`; returns what the dispatcher returned (false: busy, it queued it). */
	send(token: Token): boolean {
		if (this.#finished) return true
		if (this.#controller.reason !== null) {
			this.fail(this.#controller.reason)
			return true
		}
		this.#token = token
		this.#holding = false
		const headers = withDispatchAuthorization(this.options.headers as DispatchHeaders, this.policy.authorizationHeader(token))
		return this.dispatch({ ...this.options, headers }, this)
	}

	onRequestStart(controller: Controller, context: unknown): void {
		this.#controller.attach(controller)
		if (this.#started) return
		this.#started = true
		this.handler.onRequestStart?.(this.#controller, context)
	}

	onRequestUpgrade(
		_controller: Controller,
		statusCode: number,
		headers: IncomingHttpHeaders,
		socket: Parameters<NonNullable<Dispatcher.DispatchHandler['onRequestUpgrade']>>[3],
	): void {
		this.handler.onRequestUpgrade?.(this.#controller, statusCode, headers, socket)
	}

	onResponseStart(_controller: Controller, statusCode: number, headers: IncomingHttpHeaders, statusMessage?: string): void {
		const { policy, handler } = this
		if (statusCode !== 401 && policy.settings.isTokenRejected === undefined) {
			handler.onResponseStart?.(this.#controller, statusCode, headers, statusMessage)
			return
		}
		const verdict = policy.classify({ status: statusCode, headers: headerGetter(headers) })
		if (verdict === 'token-rejected' && !this.#retried) {
			this.#holding = true
			this.#held = { status: statusCode, headers, message: statusMessage, chunks: [], size: 0 }
			return
		}
		if (verdict === 'token-rejected') policy.afterRejection(this.#token as Token, this.request, false).catch(() => {})
		handler.onResponseStart?.(this.#controller, statusCode, headers, statusMessage)
	}

	onResponseData(_controller: Controller, chunk: Buffer): void {
		if (!this.#holding) {
			this.handler.onResponseData?.(this.#controller, chunk)
			return
		}
		const held = this.#held
		if (held === undefined) return
		held.chunks.push(chunk)
		held.size += chunk.length
		// Too big to hold: give it to the caller as it is; the token is still dropped.
		if (held.size > MAX_HELD_BODY) {
			this.#holding = false
			this.#retried = true
			this.policy.afterRejection(this.#token as Token, this.request, false).catch(() => {})
			this.#release()
		}
	}

	onResponseEnd(_controller: Controller, trailers: IncomingHttpHeaders): void {
		if (!this.#holding) {
			this.#finished = true
			this.handler.onResponseEnd?.(this.#controller, trailers)
			return
		}
		this.#holding = false
		this.#decide(trailers)
	}

	onResponseError(_controller: Controller, error: Error): void {
		this.#holding = false
		this.fail(error)
	}

	/** After a rejected response: drop the token, and retry once with a different one, or pass the held response on. */
	#decide(trailers: IncomingHttpHeaders): void {
		const replayable = isReplayable(this.options.body)
		this.#retried = true
		this.policy.afterRejection(this.#token as Token, this.request, replayable ? (this.#wait ?? {}) : false).then(
			(fresh) => {
				if (this.#finished) return
				if (fresh === undefined) {
					this.#release()
					this.#finished = true
					this.handler.onResponseEnd?.(this.#controller, trailers)
					return
				}
				this.#held = undefined
				this.send(fresh)
			},
			(error: unknown) => this.fail(this.#abortReason() ?? error),
		)
	}

	/** Hands the held response (start and body so far) to the caller's handler. */
	#release(): void {
		const held = this.#held
		if (held === undefined) return
		this.#held = undefined
		this.handler.onResponseStart?.(this.#controller, held.status, held.headers, held.message)
		for (const chunk of held.chunks) this.handler.onResponseData?.(this.#controller, chunk)
	}

	/** Ends the request with `error` (once): the caller's handler gets `onResponseError`. */
	fail(error: unknown): void {
		if (this.#finished) return
		this.#finished = true
		const reason = error instanceof Error ? error : new Error(String(error))
		// Before the first dispatch started, there is no controller yet: undici reports such errors with null.
		this.handler.onResponseError?.(this.#started ? this.#controller : (null as unknown as Controller), reason)
	}

	#abortReason(): Error | undefined {
		const signal = this.options.signal
		if (!(signal instanceof AbortSignal) || !signal.aborted) return undefined
		return signal.reason instanceof Error ? signal.reason : undefined
	}
}

/** A dispatch body that can be sent again: none, a string or bytes. A stream or an iterable is consumed by the first dispatch. */
function isReplayable(body: unknown): boolean {
	return body === undefined || body === null || typeof body === 'string' || body instanceof Uint8Array || body instanceof ArrayBuffer
}

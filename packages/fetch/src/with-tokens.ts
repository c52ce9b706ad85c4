import type { Token, TokenRequest } from '@tokenwarden/core'
import { createTokenPolicy, originOf, resolveAdapterSettings, type TokenWait } from '@tokenwarden/core/adapter'
import { decorateQuery, prepareDecoration } from '@tokenwarden/core/providers'
import { parseBaseUrl, resolverFor } from './base-url.js'
import { replayableBody } from './body.js'
import { redirectHeaders, withAuthorization, withoutHeaders } from './headers.js'
import type { TokenSource, WithTokensOptions } from './types/options.js'

type Fetch = typeof globalThis.fetch

/** Fetch's own limit on redirects (Fetch §4.4 HTTP-redirect fetch, step 5). */
const MAX_REDIRECTS = 20

/**
 * Wraps a fetch function (Node's global `fetch`, undici's, or any with its signature) so that requests
 * to an allowed origin carry `Authorization: <type> <token>` from the manager
 * ([RFC 6750 §2.1](https://www.rfc-editor.org/rfc/rfc6750#section-2.1)), with the one 401 policy of
 * `@tokenwarden/core/adapter`: a 401 from an allowed origin ([RFC 6750 §3.1](https://www.rfc-editor.org/rfc/rfc6750#section-3.1)
 * `invalid_token`, not `insufficient_scope`) drops the token and, when the body can be sent again and
 * the manager has a different token, retries once.
 *
 * Redirects of a request that carries a token are followed here (`redirect: 'manual'` underneath, by
 * the Fetch standard's rules), so that each hop carries the token only when its own origin is allowed,
 * and a 401 from another origin is never taken for a rejected token. The final response then has
 * `redirected: false` and the last hop's `url`. A caller's `redirect: 'manual'` or `'error'` is kept.
 *
 * Per request, `init.tokenwarden`: `false` for no token, or `{ scope, subject }`. The caller's
 * `signal` bounds the wait for the token.
 *
 * @returns a function with fetch's signature.
 * @throws TypeError when an option is wrong, or neither `baseUrl` nor `origins` says where tokens may go.
 */
export function withTokens(fetch: Fetch, manager: TokenSource, options?: WithTokensOptions): Fetch {
	if (typeof fetch !== 'function') throw new TypeError(`tokenwarden: expected withTokens fetch to be a fetch function, got ${fetch === null ? 'null' : typeof fetch}`)
	const given = typeof options === 'object' && options !== null ? options : undefined
	const { baseUrl, decorate, ...adapterOptions } = given ?? {}
	const base = parseBaseUrl(baseUrl)
	const decoration = prepareDecoration(decorate, 'withTokens option decorate')
	const extraHeaders = decoration?.headers
	const settings = resolveAdapterSettings(manager, given === undefined ? options : adapterOptions, base === undefined ? undefined : originOf(base), 'withTokens')
	const policy = createTokenPolicy(settings)
	const absolute = resolverFor(base)

	/** One request with `token`, redirects followed hop by hop. Resolves to the response and the URL that gave it. */
	async function send(url: string, request: Request | undefined, init: RequestInit | undefined, token: Token, follow: boolean): Promise<[Response, string]> {
		const authorization = policy.authorizationHeader(token)
		let hopInit: RequestInit = { ...init, headers: withAuthorization(init?.headers ?? request?.headers, authorization, extraHeaders) }
		if (follow) hopInit.redirect = 'manual'
		let hopUrl = url
		let response = await fetch(request ?? url, hopInit)
		for (let hops = 0; follow && isRedirect(response.status); hops++) {
			const location = response.headers.get('location')
			// A redirect status without Location is a plain response (Fetch §4.4 step 3).
			if (location === null) break
			if (hops === MAX_REDIRECTS) throw new TypeError('fetch failed', { cause: new Error('tokenwarden: redirect count exceeded') })
			const next = new URL(location, hopUrl)
			if (next.protocol !== 'https:' && next.protocol !== 'http:') throw new TypeError('fetch failed', { cause: new Error('tokenwarden: redirect to a URL that is not http(s)') })
			const method = (hopInit.method ?? request?.method ?? 'GET').toUpperCase()
			const toGet = (response.status === 303 && method !== 'GET' && method !== 'HEAD') || ((response.status === 301 || response.status === 302) && method === 'POST')
			if (!toGet && !replayableBody(hopInit.body)) throw new TypeError('fetch failed', { cause: new Error('tokenwarden: cannot send a streamed body again on a redirect') })
			await response.body?.cancel().catch(() => {})
			const headers = redirectHeaders(hopInit.headers as HeadersInit, next.origin !== originOf(hopUrl), toGet)
			// Each hop carries the token exactly when its own origin may receive it.
			if (policy.allows(next)) headers.set('authorization', authorization)
			else {
				headers.delete('authorization')
				// The decoration's headers (an application key) go where the token goes, and nowhere else.
				if (extraHeaders !== undefined) withoutHeaders(headers, extraHeaders)
			}
			hopInit = { ...hopInit, headers }
			if (request !== undefined) {
				hopInit.method ??= request.method
				hopInit.signal ??= request.signal
			}
			if (toGet) {
				hopInit.method = 'GET'
				hopInit.body = null
			}
			hopUrl = next.href
			response = await fetch(hopUrl, hopInit)
		}
		return [response, hopUrl]
	}

	/** Whether the response rejects the token it was sent with: only when the URL that gave it is an allowed one. */
	function rejected([response, finalUrl]: [Response, string], url: string): boolean {
		return policy.classify(response) === 'token-rejected' && (finalUrl === url || policy.allows(finalUrl))
	}

	const tokenFetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
		let request = typeof input === 'object' && !(input instanceof URL) ? input : undefined
		let url = request !== undefined ? request.url : typeof input === 'string' ? absolute(input) : (input as URL).href
		const option = init?.tokenwarden
		if (option === false || !policy.allows(url)) return fetch(request ?? url, init)
		const tokenRequest = option === undefined ? settings.defaults : (policy.tokenRequestOf(option, 'init.tokenwarden') as TokenRequest)
		const signal = init?.signal ?? request?.signal
		const wait: TokenWait | undefined = signal ? { signal } : undefined
		// A cached token needs no wait (and no promise turn).
		const token = policy.cachedToken(tokenRequest) ?? (await policy.tokenFor(tokenRequest, wait))
		// The decoration's query parameters: only here, where the request carries a token to an allowed origin.
		if (decoration !== undefined) {
			const decorated = decorateQuery(url, decoration)
			if (decorated !== url) {
				if (request !== undefined) request = new Request(decorated, request)
				url = decorated
			}
		}
		// A Request's own body is read by the first send and cannot be looked at: neither replayed nor
		// followed through a 307/308 here (fetch follows it; the Fetch standard drops Authorization on
		// redirects to another origin, and the final URL then decides about a 401).
		const requestBody = request !== undefined && request.body !== null
		const body = init?.body
		const replayable = !requestBody && replayableBody(body)
		const follow = !requestBody && (init?.redirect ?? request?.redirect ?? 'follow') === 'follow'
		const first = await send(url, request, init, token, follow)
		if (!rejected(first, url)) return first[0]
		const fresh = await policy.afterRejection(token, tokenRequest, replayable ? (wait ?? {}) : false)
		if (fresh === undefined) return first[0]
		await first[0].body?.cancel().catch(() => {})
		const second = await send(url, request, init, fresh, follow)
		if (rejected(second, url)) await policy.afterRejection(fresh, tokenRequest, false)
		return second[0]
	}
	return tokenFetch as Fetch
}

function isRedirect(status: number): boolean {
	return status === 301 || status === 302 || status === 303 || status === 307 || status === 308
}

// The local API the tour calls: one resource per provider, each accepting only live tokens of that
// provider (RFC 6750 §3: 401 with WWW-Authenticate for a missing, unknown, expired or withdrawn token,
// 403 for a token without the scope the resource needs). It also records what it saw, per request id,
// so the tour can tell a 401 that the adapter recovered from one that reached the caller.
import { listen, sendJson } from './http.ts'
import type { TokenRegistry } from './registry.ts'

interface Route {
	provider: string
	/** Scope the resource requires, if any. */
	scope?: string
	/** Only tokens issued to an account holder (authorization code flow). */
	holder?: boolean
	/** A query parameter every request needs besides the token (Banco do Brasil's developer application key). */
	query?: readonly [string, string]
	/** A header every request needs besides the token (Sicoob's client_id). */
	header?: readonly [string, string]
}

/** The application key and client id the Pix routes expect (what bancoDoBrasilApi / sicoobApi put on requests). */
export const PIX_API_REQUIREMENTS = { bancoDoBrasilAppKey: 'demo-bb-developer-key', sicoobClientId: 'demo-sicoob-client' } as const

const ROUTES: Record<string, Route> = {
	'/juno/charges': { provider: 'juno' },
	'/bankly/boletos': { provider: 'bankly', scope: 'boleto.read' },
	'/bankly/documents': { provider: 'bankly', scope: 'kyc.document.read' },
	'/bs2/cob': { provider: 'bs2', scope: 'cob.read' },
	'/bs2-banking/saldo': { provider: 'bs2Banking', scope: 'saldo.read', holder: true },
	'/inter/cobv': { provider: 'inter', scope: 'cobv.read' },
	'/itau/cob': { provider: 'itau' },
	'/santander/cob': { provider: 'santander' },
	'/bb/cob': { provider: 'bancoDoBrasil', scope: 'cob.read', query: ['gw-dev-app-key', PIX_API_REQUIREMENTS.bancoDoBrasilAppKey] },
	'/sicoob/cob': { provider: 'sicoob', scope: 'cob.read', header: ['client_id', PIX_API_REQUIREMENTS.sicoobClientId] },
	'/efi/cob': { provider: 'efi' },
}

/** Header with which the tour tags each logical request; the adapter's retry carries the same one. */
export const REQUEST_ID_HEADER = 'x-demo-request'
/** The redirect URI of the consent flow lives here (the demo reads the redirect, it never follows it). */
export const CALLBACK_PATH = '/callback'

export interface ApiServer {
	origin: string
	/** The API refuses this token from now on (as after a revocation on the provider's side). */
	revoke(accessToken: string): void
	/** Statuses the API answered for one logical request, in order (a recovered 401 shows as [401, 200]). */
	statusesOf(requestId: string): readonly number[]
	/** Authorization schemes seen per provider, as sent ('Bearer', 'bearer', ...). */
	schemes(provider: string): ReadonlySet<string>
	/** 401 answers per provider. */
	unauthorized(provider: string): number
	close(): Promise<void>
}

export async function startApi(registry: TokenRegistry): Promise<ApiServer> {
	const statuses = new Map<string, number[]>()
	const schemes = new Map<string, Set<string>>()
	const unauthorized = new Map<string, number>()

	const server = await listen((request, response, url) => {
		if (url.pathname === CALLBACK_PATH) return sendJson(response, 200, { consent: 'received' })
		const route = ROUTES[url.pathname]
		if (request.method !== 'GET' || route === undefined) return sendJson(response, 404, { error: 'not_found' })
		const requestId = request.headers[REQUEST_ID_HEADER]
		const answer = (status: number, body: unknown, challenge?: string) => {
			if (typeof requestId === 'string') statuses.set(requestId, [...(statuses.get(requestId) ?? []), status])
			if (status === 401) unauthorized.set(route.provider, (unauthorized.get(route.provider) ?? 0) + 1)
			sendJson(response, status, body, challenge === undefined ? {} : { 'www-authenticate': challenge })
		}

		// RFC 6750 §2.1; the scheme is case-insensitive (RFC 9110 §11.1), but record how it was written.
		const match = /^(bearer) +(\S+)$/i.exec(request.headers.authorization ?? '')
		if (match === null) return answer(401, { error: 'unauthorized' }, 'Bearer realm="demo-api"')
		const [, scheme, accessToken] = match as unknown as [string, string, string]
		let seen = schemes.get(route.provider)
		if (seen === undefined) schemes.set(route.provider, (seen = new Set()))
		seen.add(scheme)

		if (route.query && url.searchParams.get(route.query[0]) !== route.query[1]) return answer(400, { error: 'bad_request', missing: `query parameter ${route.query[0]}` })
		if (route.header && request.headers[route.header[0]] !== route.header[1]) return answer(400, { error: 'bad_request', missing: `header ${route.header[0]}` })

		const check = registry.check(accessToken, route.provider)
		if (!check.ok) {
			return answer(401, { error: 'invalid_token', reason: check.reason }, `Bearer realm="demo-api", error="invalid_token", error_description="token ${check.reason}"`)
		}
		if (route.holder && check.token.subject === undefined) {
			return answer(403, { error: 'insufficient_scope', reason: 'needs a token of an account holder' }, 'Bearer realm="demo-api", error="insufficient_scope"')
		}
		if (route.scope !== undefined && !check.token.scope.includes(route.scope)) {
			return answer(403, { error: 'insufficient_scope' }, `Bearer realm="demo-api", error="insufficient_scope", scope="${route.scope}"`)
		}
		answer(200, { ok: true, resource: url.pathname, ...(check.token.subject ? { holder: check.token.subject } : {}) })
	})

	return {
		origin: server.origin,
		revoke: (accessToken) => void registry.withdraw(accessToken, 'revoked by the API'),
		statusesOf: (requestId) => statuses.get(requestId) ?? [],
		schemes: (provider) => schemes.get(provider) ?? new Set(),
		unauthorized: (provider) => unauthorized.get(provider) ?? 0,
		close: server.close,
	}
}

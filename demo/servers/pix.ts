// Imitations of the token endpoints of six Pix providers, each from its public documentation (the
// links are beside the presets in packages/core/src/providers/): HTTPS on 127.0.0.1, asking for the
// client certificate where the provider requires mutual TLS, checking where the credentials go, the
// grant_type, the scope and the body format, and refusing (RFC 6749 §5.2) what the documentation
// says is required but missing.
import { randomUUID } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { createServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import type { TLSSocket } from 'node:tls'
import { basicCredentials, oauthError, readText, scopeList, sendJson } from './http.ts'
import type { DemoCertificates } from './certificates.ts'
import type { TokenRegistry } from './registry.ts'
import { type AuthServer, TokenEndpointLog } from './token-endpoint.ts'

export type PixProvider = 'inter' | 'itau' | 'santander' | 'bancoDoBrasil' | 'sicoob' | 'efi'

/** What one token request carried, as a provider's rules read it. */
interface Carried {
	url: URL
	form: URLSearchParams
	json: Record<string, unknown> | undefined
	basic: { clientId: string; clientSecret: string } | undefined
	/** Subject CN of the client certificate, when one was presented. */
	certificate: string | undefined
}

interface Rules {
	path: string
	mutualTls: boolean
	/** Seconds, as each provider documents (or shows in its examples). */
	lifetimeSeconds: number
	/** The reason the request is refused, or the client id it authenticated. */
	check(carried: Carried, client: { clientId: string; clientSecret?: string }): { refuse: [number, string, string] } | { scope: string[] }
}

const scopeRequired = (carried: Carried): string[] | undefined => {
	const scope = scopeList(carried.form.get('scope'))
	return scope.length === 0 ? undefined : scope
}

const RULES: Record<PixProvider, Rules> = {
	// Inter: form body client_id + client_secret + scope, mutual TLS in sandbox too; 60-minute tokens.
	inter: {
		path: '/oauth/v2/token',
		mutualTls: true,
		lifetimeSeconds: 3600,
		check: ({ form }, client) => {
			if (form.get('client_id') !== client.clientId || form.get('client_secret') !== client.clientSecret)
				return { refuse: [401, 'invalid_client', 'client_id or client_secret invalid'] }
			const scope = scopeRequired({ form } as Carried)
			return scope ? { scope } : { refuse: [400, 'invalid_scope', 'scope is required'] }
		},
	},
	// Itaú STS: form body client_id + client_secret over mutual TLS; 5-minute tokens.
	itau: {
		path: '/api/oauth/token',
		mutualTls: true,
		lifetimeSeconds: 300,
		check: ({ form }, client) =>
			form.get('client_id') === client.clientId && form.get('client_secret') === client.clientSecret ? { scope: [] } : { refuse: [401, 'invalid_client', 'invalid credentials'] },
	},
	// Santander: grant_type in the query string, client_id + client_secret in the form body, mutual TLS.
	santander: {
		path: '/oauth/token',
		mutualTls: true,
		lifetimeSeconds: 900,
		check: ({ form, url }, client) => {
			if (url.searchParams.get('grant_type') !== 'client_credentials') return { refuse: [400, 'invalid_request', 'grant_type is expected in the query string'] }
			return form.get('client_id') === client.clientId && form.get('client_secret') === client.clientSecret
				? { scope: [] }
				: { refuse: [401, 'invalid_client', 'invalid credentials'] }
		},
	},
	// Banco do Brasil: Basic base64(client_id:client_secret), grant_type + scope in the form body.
	bancoDoBrasil: {
		path: '/oauth/token',
		mutualTls: false,
		lifetimeSeconds: 600,
		check: (carried, client) => {
			if (carried.basic?.clientId !== client.clientId || carried.basic.clientSecret !== client.clientSecret) return { refuse: [401, 'invalid_client', 'Bad Credentials'] }
			const scope = scopeRequired(carried)
			return scope ? { scope } : { refuse: [400, 'invalid_scope', 'scope is required'] }
		},
	},
	// Sicoob: a public client whose registered certificate authenticates it; client_id + scope in the body.
	sicoob: {
		path: '/auth/realms/cooperado/protocol/openid-connect/token',
		mutualTls: true,
		lifetimeSeconds: 300,
		check: (carried, client) => {
			if (carried.form.has('client_secret') || carried.basic !== undefined) return { refuse: [400, 'invalid_request', 'public client: no secret'] }
			if (carried.form.get('client_id') !== client.clientId || carried.certificate === undefined) return { refuse: [401, 'unauthorized_client', 'certificate not registered'] }
			const scope = scopeRequired(carried)
			return scope ? { scope } : { refuse: [400, 'invalid_scope', 'scope is required'] }
		},
	},
	// Efí: Basic base64(Client_Id:Client_Secret), {"grant_type":"client_credentials"} as JSON, the .p12 over mutual TLS.
	efi: {
		path: '/oauth/token',
		mutualTls: true,
		lifetimeSeconds: 3600,
		check: (carried, client) => {
			if (carried.json?.grant_type !== 'client_credentials') return { refuse: [400, 'invalid_request', 'a JSON body with grant_type is expected'] }
			return carried.basic?.clientId === client.clientId && carried.basic.clientSecret === client.clientSecret
				? { scope: [] }
				: { refuse: [401, 'invalid_client', 'invalid credentials'] }
		},
	},
}

export interface PixServerOptions {
	provider: PixProvider
	clientId: string
	clientSecret?: string
	registry: TokenRegistry
	certificates: DemoCertificates
}

export async function startPixProvider(options: PixServerOptions): Promise<AuthServer> {
	const rules = RULES[options.provider]
	const log = new TokenEndpointLog()
	const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
		const url = new URL(request.url ?? '/', 'https://127.0.0.1')
		if (request.method !== 'POST' || url.pathname !== rules.path) return sendJson(response, 404, { error: 'not_found' })
		const text = await readText(request)
		const json = String(request.headers['content-type']).startsWith('application/json') ? (JSON.parse(text) as Record<string, unknown>) : undefined
		const form = new URLSearchParams(json === undefined ? text : '')
		if (log.begin(request, response, form.get('grant_type') ?? url.searchParams.get('grant_type') ?? String(json?.grant_type ?? ''))) return
		const peer = rules.mutualTls ? (request.socket as TLSSocket).getPeerCertificate() : undefined
		const carried: Carried = { url, form, json, basic: basicCredentials(request, 'raw'), certificate: peer?.subject?.CN ? String(peer.subject.CN) : undefined }
		const verdict = rules.check(carried, options)
		if ('refuse' in verdict) return oauthError(response, ...verdict.refuse)
		const accessToken = randomUUID()
		options.registry.issue(accessToken, { provider: options.provider, clientId: options.clientId, scope: verdict.scope, expiresAt: Date.now() + rules.lifetimeSeconds * 1000 })
		sendJson(response, 200, {
			access_token: accessToken,
			token_type: 'Bearer',
			expires_in: rules.lifetimeSeconds,
			...(verdict.scope.length ? { scope: verdict.scope.join(' ') } : {}),
		})
	}
	const { certificates } = options
	const server = createServer({ ...certificates.server, ca: certificates.ca, requestCert: rules.mutualTls, rejectUnauthorized: rules.mutualTls }, (request, response) => {
		handle(request, response).catch(() => response.destroy())
	})
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
	const origin = `https://127.0.0.1:${(server.address() as AddressInfo).port}`
	return {
		name: options.provider,
		origin,
		tokenUrl: origin + rules.path,
		log,
		close: () =>
			new Promise<void>((resolve) => {
				server.close(() => resolve())
				server.closeAllConnections()
			}),
	}
}

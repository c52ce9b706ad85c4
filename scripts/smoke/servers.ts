import { once } from 'node:events'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

/** The client the smoke token server accepts (HTTP Basic, RFC 6749 §2.3.1). */
export const CLIENT = { id: 'smoke-client', secret: 'smoke-secret-value' } as const

/** What the servers saw, for the smoke test's assertions after each consumer ran. */
export interface Observed {
	/** Token requests answered with a token. */
	tokensIssued: number
	/** Token requests refused (wrong client credentials). */
	tokensRefused: number
	/** Authorization headers the API received, in order. */
	apiAuthorization: Array<string | undefined>
	/** Authorization headers the foreign origin received: it must never see one. */
	foreignAuthorization: Array<string | undefined>
}

/** A token endpoint, an API that accepts its tokens, and a foreign origin, all on 127.0.0.1. */
export interface SmokeServers {
	tokenUrl: string
	apiUrl: string
	foreignUrl: string
	observed: Observed
	/** Forget what was seen (between consumers). */
	reset(): void
	close(): Promise<void>
}

export async function startServers(): Promise<SmokeServers> {
	const observed: Observed = { tokensIssued: 0, tokensRefused: 0, apiAuthorization: [], foreignAuthorization: [] }
	const issued = new Set<string>()
	// Tokens the API treats as revoked. The first call to a `/revoke-once/…` path revokes the token it
	// came with, so the adapter's one retry after that 401 (RFC 6750 §3.1 invalid_token) must bring a new token.
	const revoked = new Set<string>()
	const revokedOn = new Set<string>()
	let counter = 0

	const token = await listen(async (request, response) => {
		if (request.method !== 'POST' || request.url !== '/oauth/token') return json(response, 404, { error: 'not_found' })
		const form = new URLSearchParams(await text(request))
		const expected = `Basic ${Buffer.from(`${CLIENT.id}:${CLIENT.secret}`).toString('base64')}`
		if (form.get('grant_type') !== 'client_credentials') return json(response, 400, { error: 'unsupported_grant_type' })
		if (request.headers.authorization !== expected) {
			observed.tokensRefused++
			return json(response, 401, { error: 'invalid_client', error_description: 'client authentication failed' })
		}
		counter++
		const accessToken = `smoke-access-${counter}`
		issued.add(accessToken)
		observed.tokensIssued++
		json(response, 200, { access_token: accessToken, token_type: 'Bearer', expires_in: 3600, scope: form.get('scope') ?? undefined })
	})

	const api = await listen((request, response) => {
		const authorization = request.headers.authorization
		observed.apiAuthorization.push(authorization)
		if (request.url === '/public') return json(response, 200, { path: request.url, authorization: authorization ?? null })
		const accessToken = /^Bearer (\S+)$/.exec(authorization ?? '')?.[1]
		if (accessToken === undefined || !issued.has(accessToken) || revoked.has(accessToken)) {
			response.setHeader('www-authenticate', 'Bearer error="invalid_token"')
			return json(response, 401, { error: 'invalid_token' })
		}
		if (request.url?.startsWith('/revoke-once/') && !revokedOn.has(request.url)) {
			revokedOn.add(request.url)
			revoked.add(accessToken)
			response.setHeader('www-authenticate', 'Bearer error="invalid_token"')
			return json(response, 401, { error: 'invalid_token' })
		}
		json(response, 200, { path: request.url, token: accessToken })
	})

	const foreign = await listen((request, response) => {
		observed.foreignAuthorization.push(request.headers.authorization)
		json(response, 200, { path: request.url, authorization: request.headers.authorization ?? null })
	})

	return {
		tokenUrl: `${token.url}/oauth/token`,
		apiUrl: api.url,
		foreignUrl: foreign.url,
		observed,
		reset() {
			observed.tokensIssued = 0
			observed.tokensRefused = 0
			observed.apiAuthorization = []
			observed.foreignAuthorization = []
			revokedOn.clear()
		},
		async close() {
			await Promise.all([token, api, foreign].map(({ server }) => close(server)))
		},
	}
}

async function listen(handler: (request: IncomingMessage, response: ServerResponse) => unknown): Promise<{ server: Server; url: string }> {
	const server = createServer((request, response) => {
		Promise.resolve(handler(request, response)).catch((error: unknown) => {
			response.statusCode = 500
			response.end(String(error))
		})
	})
	server.listen(0, '127.0.0.1')
	await once(server, 'listening')
	const { port } = server.address() as AddressInfo
	return { server, url: `http://127.0.0.1:${port}` }
}

async function close(server: Server): Promise<void> {
	server.closeAllConnections()
	await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())))
}

async function text(request: IncomingMessage): Promise<string> {
	const chunks: Buffer[] = []
	for await (const chunk of request) chunks.push(chunk as Buffer)
	return Buffer.concat(chunks).toString('utf8')
}

function json(response: ServerResponse, status: number, body: unknown): void {
	response.statusCode = status
	response.setHeader('content-type', 'application/json')
	response.setHeader('cache-control', 'no-store')
	response.end(JSON.stringify(body))
}

import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import type { TLSSocket } from 'node:tls'
import { createTokenServer, type TokenServer, type TokenServerOptions } from '@tokenwarden/testing'
import type { TestCertificates } from '../../core/test/fixtures/certificates.ts'

export const CLIENT_ID = 'cli-client'
export const CLIENT_SECRET = 'cli-secret-Xq7v9'

export interface Running {
	url: string
	close(): Promise<void>
}

async function listen(server: Server, scheme: 'http' | 'https'): Promise<Running> {
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
	const { port } = server.address() as AddressInfo
	return {
		url: `${scheme}://127.0.0.1:${port}`,
		close: () =>
			new Promise<void>((resolve) => {
				server.closeAllConnections()
				server.close(() => resolve())
			}),
	}
}

async function readBody(request: IncomingMessage): Promise<Buffer> {
	const chunks: Buffer[] = []
	for await (const chunk of request) chunks.push(chunk as Buffer)
	return Buffer.concat(chunks)
}

/** Serves a core testing token server on a real socket: node:http in, fetch Request/Response to it. */
async function serve(request: IncomingMessage, response: ServerResponse, base: string, tokenServer: TokenServer, date: (() => string) | undefined): Promise<void> {
	const body = await readBody(request)
	const headers = new Headers()
	for (const [name, value] of Object.entries(request.headers)) if (typeof value === 'string') headers.set(name, value)
	let answer: Response
	try {
		answer = await tokenServer.handle(
			new Request(`${base}${request.url}`, { method: request.method ?? 'GET', headers, ...(body.length > 0 ? { body: new Uint8Array(body) } : {}) }),
		)
	} catch {
		request.socket.destroy()
		return
	}
	const out: Record<string, string> = {}
	answer.headers.forEach((value, name) => {
		out[name] = value
	})
	if (date) out.date = date()
	response.writeHead(answer.status, out)
	response.end(Buffer.from(await answer.arrayBuffer()))
}

export interface TokenEndpoint extends Running {
	tokenUrl: string
	server: TokenServer
	/** The Date header the next answers carry (default: the real time, as node:http sends it). */
	date: (() => string) | undefined
}

/** The core testing token server on 127.0.0.1, at /oauth/token. */
export async function startTokenEndpoint(options: Omit<TokenServerOptions, 'tokenUrl'> = {}): Promise<TokenEndpoint> {
	let handler: (request: IncomingMessage, response: ServerResponse) => void = () => {}
	const running = await listen(
		createHttpServer((request, response) => handler(request, response)),
		'http',
	)
	const tokenUrl = `${running.url}/oauth/token`
	const endpoint: TokenEndpoint = { ...running, tokenUrl, server: createTokenServer({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, ...options, tokenUrl }), date: undefined }
	handler = (request, response) => void serve(request, response, running.url, endpoint.server, endpoint.date)
	return endpoint
}

/**
 * The API the probes call. /ok answers 200 to any token the given endpoint issued; the others answer
 * as their names say, with RFC 6750 challenges; /echo quotes the Authorization header back in its body.
 */
export async function startApi(issued: () => readonly { accessToken: string }[]): Promise<Running> {
	return listen(
		createHttpServer((request, response) => {
			const token = request.headers.authorization?.replace(/^Bearer /, '') ?? ''
			const known = issued().some((item) => item.accessToken === token)
			const challenge = (status: number, value: string | undefined, body = '{"message":"unauthorized"}') => {
				response.writeHead(status, { 'content-type': 'application/json', ...(value ? { 'www-authenticate': value } : {}) })
				response.end(body)
			}
			switch (request.url) {
				case '/ok':
					if (known) challenge(200, undefined, '{"ok":true}')
					else challenge(401, 'Bearer realm="api", error="invalid_token"')
					return
				case '/scope':
					return challenge(403, 'Bearer realm="api", error="insufficient_scope", scope="cob.write", error_description="needs cob.write"')
				case '/expired':
					return challenge(401, 'Bearer realm="api", error="invalid_token", error_description="The access token expired"')
				case '/audience':
					return challenge(401, 'Bearer realm="api", error="invalid_token", error_description="aud mismatch: not issued for this API"')
				case '/echo':
					return challenge(401, 'Bearer realm="api"', `{"received":"${request.headers.authorization}"}`)
				case '/basic':
					return challenge(401, 'Basic realm="legacy"')
				case '/bare':
					return challenge(401, undefined)
				default:
					return challenge(404, undefined, 'not found')
			}
		}),
		'http',
	)
}

/**
 * A token endpoint and an API behind mutual TLS (RFC 8705): the client certificate is the credential;
 * a connection without a certificate signed by `certs.ca` is refused by the TLS layer.
 */
export async function startMtlsServer(certs: TestCertificates): Promise<Running & { tokenUrl: string; server: TokenServer }> {
	let tokenServer: TokenServer | undefined
	let base = ''
	const server = createHttpsServer({ cert: certs.server.cert, key: certs.server.key, ca: certs.ca.cert, requestCert: true, rejectUnauthorized: true }, (request, response) => {
		const peer = (request.socket as TLSSocket).getPeerCertificate()
		if (request.url === '/api') {
			response.writeHead(200, { 'content-type': 'application/json' })
			response.end(JSON.stringify({ client: peer.subject?.CN }))
			return
		}
		void serve(request, response, base, tokenServer as TokenServer, undefined)
	}) as unknown as Server
	const running = await listen(server, 'https')
	base = running.url
	const tokenUrl = `${running.url}/oauth/token`
	tokenServer = createTokenServer({ tokenUrl, clientId: CLIENT_ID, tokenFormat: 'jwt' })
	return { ...running, tokenUrl, server: tokenServer }
}

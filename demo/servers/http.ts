// Small helpers shared by the imitation servers: plain node:http, loopback only, ephemeral ports.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

export type Handler = (request: IncomingMessage, response: ServerResponse, url: URL) => void | Promise<void>

/** A server listening on 127.0.0.1 and the means to stop it. */
export interface Listening {
	/** `http://127.0.0.1:<port>` */
	origin: string
	close(): Promise<void>
}

/** Starts a server on an ephemeral loopback port. A handler that throws answers 500 rather than crashing the demo. */
export async function listen(handler: Handler): Promise<Listening> {
	const server: Server = createServer((request, response) => {
		const url = new URL(request.url ?? '/', 'http://127.0.0.1')
		Promise.resolve(handler(request, response, url)).catch((error: unknown) => {
			if (!response.headersSent) sendJson(response, 500, { error: 'server_error', error_description: String((error as Error)?.message) })
			else response.destroy()
		})
	})
	await new Promise<void>((resolve, reject) => {
		server.once('error', reject)
		server.listen(0, '127.0.0.1', () => resolve())
	})
	const { port } = server.address() as AddressInfo
	return {
		origin: `http://127.0.0.1:${port}`,
		close: () =>
			new Promise<void>((resolve) => {
				// Keep-alive connections from axios and fetch would hold the server open: end them.
				server.close(() => resolve())
				server.closeAllConnections()
			}),
	}
}

export function sendJson(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
	const text = JSON.stringify(body)
	response.writeHead(status, {
		'content-type': 'application/json',
		'content-length': Buffer.byteLength(text),
		// RFC 6749 §5.1: token responses must not be cached.
		'cache-control': 'no-store',
		...headers,
	})
	response.end(text)
}

/** An OAuth error response ([RFC 6749 §5.2](https://www.rfc-editor.org/rfc/rfc6749#section-5.2)). */
export function oauthError(response: ServerResponse, status: number, error: string, description: string, headers: Record<string, string> = {}): void {
	sendJson(response, status, { error, error_description: description }, headers)
}

export function redirect(response: ServerResponse, location: string): void {
	response.writeHead(302, { location, 'content-length': 0 })
	response.end()
}

export async function readText(request: IncomingMessage): Promise<string> {
	const chunks: Buffer[] = []
	for await (const chunk of request) chunks.push(chunk as Buffer)
	return Buffer.concat(chunks).toString('utf8')
}

/** The form body of a token request (`application/x-www-form-urlencoded`, RFC 6749 §4.4.2). */
export async function readForm(request: IncomingMessage): Promise<URLSearchParams> {
	return new URLSearchParams(await readText(request))
}

/** Client id and secret from `Authorization: Basic` ([RFC 6749 §2.3.1](https://www.rfc-editor.org/rfc/rfc6749#section-2.3.1)), if present. */
/**
 * The client credentials of an HTTP Basic header. `form`: both parts form-urlencoded before being joined
 * (RFC 6749 §2.3.1); `raw`: as Juno's and BS2's documents show them, `id:secret` unencoded.
 */
export function basicCredentials(request: IncomingMessage, encoding: 'form' | 'raw' = 'form'): { clientId: string; clientSecret: string } | undefined {
	const header = request.headers.authorization
	const match = header === undefined ? null : /^basic\s+(\S+)$/i.exec(header)
	if (match === null) return undefined
	const decoded = Buffer.from(match[1] as string, 'base64').toString('utf8')
	const colon = decoded.indexOf(':')
	if (colon < 0) return undefined
	const decode = encoding === 'raw' ? (part: string) => part : (part: string) => decodeURIComponent(part.replaceAll('+', ' '))
	return { clientId: decode(decoded.slice(0, colon)), clientSecret: decode(decoded.slice(colon + 1)) }
}

/** Answers 401 invalid_client (with a Basic challenge) unless the request carries the expected client's credentials; true when it answered. */
export function refusedBasicClient(
	request: IncomingMessage,
	response: ServerResponse,
	expected: { clientId: string; clientSecret: string },
	{ realm, description, encoding }: { realm: string; description: string; encoding: 'form' | 'raw' },
): boolean {
	const client = basicCredentials(request, encoding)
	if (client?.clientId === expected.clientId && client.clientSecret === expected.clientSecret) return false
	oauthError(response, 401, 'invalid_client', description, { 'www-authenticate': `Basic realm="${realm}"` })
	return true
}

/** Scope parameter as a list (space-separated on the wire, RFC 6749 §3.3). */
export function scopeList(value: string | null): string[] {
	return value === null ? [] : value.split(' ').filter((part) => part !== '')
}

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
export function basicCredentials(request: IncomingMessage): { clientId: string; clientSecret: string } | undefined {
	const header = request.headers.authorization
	const match = header === undefined ? null : /^basic\s+(\S+)$/i.exec(header)
	if (match === null) return undefined
	const decoded = Buffer.from(match[1] as string, 'base64').toString('utf8')
	const colon = decoded.indexOf(':')
	if (colon < 0) return undefined
	// RFC 6749 §2.3.1: both parts are form-urlencoded before being joined.
	return {
		clientId: decodeURIComponent(decoded.slice(0, colon).replaceAll('+', ' ')),
		clientSecret: decodeURIComponent(decoded.slice(colon + 1).replaceAll('+', ' ')),
	}
}

/** Scope parameter as a list (space-separated on the wire, RFC 6749 §3.3). */
export function scopeList(value: string | null): string[] {
	return value === null ? [] : value.split(' ').filter((part) => part !== '')
}

import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createGzip } from 'node:zlib'

/** What the hostile server saw of one request. */
export interface HostileRequest {
	form: URLSearchParams
	authorization: string | undefined
	path: string
}

/** How the server answers one request; it may write anything, slowly, and break the connection. */
export type HostileHandler = (request: HostileRequest, response: ServerResponse) => void | Promise<void>

/**
 * A real node:http token endpoint on 127.0.0.1 whose handler can misbehave at the socket level, which
 * nock cannot imitate (bodies that never end, drip, get cut or reset after the status line).
 */
export async function startHostileServer() {
	let handler: HostileHandler = (_request, response) => {
		response.writeHead(500).end()
	}
	const seen: HostileRequest[] = []
	const server = createServer(async (incoming: IncomingMessage, response: ServerResponse) => {
		const chunks: Buffer[] = []
		for await (const chunk of incoming) chunks.push(chunk as Buffer)
		const request = { form: new URLSearchParams(Buffer.concat(chunks).toString()), authorization: incoming.headers.authorization, path: incoming.url ?? '/' }
		seen.push(request)
		try {
			await handler(request, response)
		} catch {
			response.destroy()
		}
	})
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
	const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
	return {
		tokenUrl: `${base}/token`,
		revocationUrl: `${base}/revoke`,
		seen,
		/** Sets how the next requests are answered. */
		answer(next: HostileHandler) {
			handler = next
			seen.length = 0
		},
		close: () =>
			new Promise<void>((resolve) => {
				server.closeAllConnections()
				server.close(() => resolve())
			}),
	}
}

const FILLER = Buffer.alloc(64 * 1024, 'a')

/**
 * Writes `prefix`, then `total` bytes of filler (Infinity: forever), then `suffix`, honouring
 * backpressure and stopping as soon as the client goes away. One preallocated chunk is reused, so the
 * server itself holds no more than a socket buffer.
 */
export function pump(response: ServerResponse, prefix: string, total: number, suffix: string): void {
	let sent = 0
	let gone = false
	response.on('close', () => {
		gone = true
	})
	response.write(prefix)
	const write = () => {
		while (!gone && sent < total) {
			const piece = total - sent >= FILLER.length ? FILLER : FILLER.subarray(0, total - sent)
			sent += piece.length
			if (!response.write(piece)) {
				response.once('drain', write)
				return
			}
		}
		if (!gone) response.end(suffix)
	}
	write()
}

/** A gzip body of `prefix`, `size` bytes of 'a', `suffix`: a few hundred KiB that inflate to `size`. Built by streaming, never held inflated. */
export async function gzipBomb(prefix: string, size: number, suffix: string): Promise<Buffer> {
	const gzip = createGzip({ level: 9 })
	const out: Buffer[] = []
	gzip.on('data', (chunk: Buffer) => out.push(chunk))
	const finished = new Promise((resolve) => gzip.on('end', resolve))
	const megabyte = Buffer.alloc(1024 * 1024, 'a')
	gzip.write(prefix)
	for (let written = 0; written < size; written += megabyte.length) {
		if (!gzip.write(megabyte)) await new Promise((resolve) => gzip.once('drain', resolve))
	}
	gzip.end(suffix)
	await finished
	return Buffer.concat(out)
}

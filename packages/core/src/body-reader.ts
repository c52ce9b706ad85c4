import { InvalidTokenResponseError, TokenEndpointError } from './errors.js'
import { type Redactor, safeCause } from './redaction.js'

/** How one response body is read. */
export interface BodyReadOptions {
	/** Byte cap, counted after decompression (`maxResponseBytes`). */
	maxBytes: number
	/** The attempt this response answers, for the error. */
	attempt: number
	/** Masks secrets in what the error quotes of a low-level failure. */
	redact: Redactor
	/** Who answered, for messages: `'Token endpoint'` or `'Revocation endpoint'`. */
	endpoint?: string
}

/**
 * Reads a response body as UTF-8 text through its stream reader, counting bytes as they arrive (after
 * fetch has decompressed them, so a gzip bomb counts for what it inflates to) and cancelling the body
 * once `maxBytes` is passed: memory never holds more than the cap plus one chunk.
 *
 * - Past the cap: an {@link InvalidTokenResponseError} (`reason: 'too_large'`) for a 2xx, else a
 *   {@link TokenEndpointError}; neither quotes the body.
 * - The body cannot be read (connection reset, truncated, undecodable gzip): a {@link TokenEndpointError}
 *   with `serverMayHaveActed: true` — the status line arrived, so the server has processed the request
 *   and a grant that spends what it sends must not be repeated.
 */
export async function readCappedText(response: Response, { maxBytes, attempt, redact, endpoint = 'Token endpoint' }: BodyReadOptions): Promise<string> {
	const status = response.status
	const tooLarge = (): Error => {
		const message = `${endpoint} answered HTTP ${status} with a body larger than maxResponseBytes (${maxBytes} bytes); it was not read further`
		return status >= 200 && status < 300
			? new InvalidTokenResponseError(message, { reason: 'too_large', status, contentType: response.headers.get('content-type') })
			: new TokenEndpointError(message, { status, attempts: attempt })
	}
	const body = response.body
	if (body === null) return ''
	const declared = Number(response.headers.get('content-length'))
	if (!response.headers.has('content-encoding') && Number.isFinite(declared) && declared > maxBytes) {
		await body.cancel().catch(() => {})
		throw tooLarge()
	}
	let reader: ReadableStreamDefaultReader<Uint8Array>
	try {
		reader = body.getReader()
	} catch (error) {
		throw unreadable(error, status, attempt, redact, endpoint)
	}
	const decoder = new TextDecoder()
	const parts: string[] = []
	let bytes = 0
	try {
		for (;;) {
			const { done, value } = await reader.read()
			if (done) break
			bytes += value.byteLength
			if (bytes > maxBytes) {
				await reader.cancel().catch(() => {})
				throw tooLarge()
			}
			parts.push(decoder.decode(value, { stream: true }))
		}
	} catch (error) {
		if (error instanceof InvalidTokenResponseError || error instanceof TokenEndpointError) throw error
		await reader.cancel().catch(() => {})
		throw unreadable(error, status, attempt, redact, endpoint)
	}
	parts.push(decoder.decode())
	return parts.join('')
}

/** What went wrong below fetch, in words: undici reports every mid-body failure as `TypeError: terminated`. */
function describeReadFailure(error: unknown): string {
	const code = (error as { cause?: { code?: unknown } })?.cause?.code ?? (error as { code?: unknown })?.code
	if (code === 'ECONNRESET') return 'the connection was reset'
	if (code === 'UND_ERR_SOCKET') return 'the connection closed before the body ended'
	if (typeof code === 'string' && /^Z_|^ERR_ZLIB|BROTLI/.test(code)) return 'the body could not be decompressed'
	if ((error as Error)?.name === 'AbortError') return 'the request was aborted'
	return 'the body could not be read'
}

function unreadable(error: unknown, status: number, attempt: number, redact: Redactor, endpoint: string): TokenEndpointError {
	return new TokenEndpointError(`${endpoint} answered HTTP ${status}, then ${describeReadFailure(error)}`, {
		status,
		attempts: attempt,
		serverMayHaveActed: true,
		cause: safeCause(error, redact),
	})
}

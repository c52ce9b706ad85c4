/**
 * Whether a fetch body can be sent a second time (after a 401, or on a 307/308 redirect): fetch
 * extracts a fresh byte stream from a string, `URLSearchParams`, `Blob`, `ArrayBuffer`, typed array or
 * `FormData` on every call. A `ReadableStream` (or any async iterable) is consumed by the first send;
 * copying it would buffer all of it, so it is not replayed and the 401 reaches the caller.
 */
export function replayableBody(body: BodyInit | null | undefined): boolean {
	if (body === undefined || body === null || typeof body === 'string') return true
	if (body instanceof ReadableStream) return false
	return typeof (body as { [Symbol.asyncIterator]?: unknown })[Symbol.asyncIterator] !== 'function'
}

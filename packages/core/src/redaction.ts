/**
 * The one place secrets are masked in text that reaches an error, a cause, an event or a log line.
 *
 * Servers (and the WAFs and proxies in front of them) echo what they were sent, in whatever encoding
 * they saw it: the raw value, the form body ([`application/x-www-form-urlencoded`](https://url.spec.whatwg.org/#application/x-www-form-urlencoded),
 * `+` for space), percent-encoding in either hex case, JSON string escapes, base64 and base64url of the
 * value, and the Basic credentials `base64(id:secret)` in both encodings clients use (raw, and
 * form-encoded first as [RFC 6749 §2.3.1](https://www.rfc-editor.org/rfc/rfc6749#section-2.3.1) asks).
 * Every one of those forms of every secret is masked.
 *
 * A secret shorter than {@link MIN_MASKABLE_LENGTH} cannot be masked safely (masking `abc` would mangle
 * ordinary words and still miss its other forms), so a redactor holding one quotes no server text at all.
 */

/** What a masked secret becomes. */
export const REDACTED = '[redacted]'
/** What server text becomes when a secret is too short to mask. */
export const WITHHELD = '[server text withheld: a secret of this client is too short to mask]'
/** Secrets shorter than this are not masked but make the redactor withhold all server text. */
export const MIN_MASKABLE_LENGTH = 8
/** Longest piece of server text quoted in one place (after masking): enough for any honest error description. */
export const MAX_QUOTED_LENGTH = 500

/** Masks server text. Call it on every piece of server (or request-derived) text before it is quoted. */
export interface Redactor {
	/** Server text, masked and cut to `maxLength` (default {@link MAX_QUOTED_LENGTH}); {@link WITHHELD} when a secret is too short to mask. */
	(text: string, maxLength?: number): string
	/** Local text (a network error's message): masked, never withheld. */
	mask(text: string): string
	/** A redactor that also masks these secrets (a refresh token, a code, an assertion of one attempt). */
	with(secrets: readonly string[]): Redactor
	/** True when every piece of server text is withheld. */
	readonly withholds: boolean
}

/** Client credentials whose Basic header value must be masked too. */
export interface BasicCredentials {
	clientId: string
	clientSecret: string
}

/** `application/x-www-form-urlencoded` encoding of one value (`+` for space), as RFC 6749 §2.3.1 asks before base64 for Basic. */
export function formEncode(value: string): string {
	return new URLSearchParams({ v: value }).toString().slice(2)
}

/** Every form in which a server may echo `secret`. */
export function secretForms(secret: string): string[] {
	const forms = new Set<string>([secret])
	for (const encoded of [formEncode(secret), encodeURIComponent(secret), formEncode(secret).replaceAll('+', '%20')]) {
		forms.add(encoded)
		forms.add(encoded.replace(/%[0-9A-F]{2}/g, (hex) => hex.toLowerCase()))
	}
	const json = JSON.stringify(secret).slice(1, -1)
	forms.add(json)
	forms.add(json.replaceAll('/', '\\/'))
	const bytes = Buffer.from(secret)
	const base64 = bytes.toString('base64')
	forms.add(base64)
	forms.add(base64.replace(/=+$/, ''))
	forms.add(bytes.toString('base64url'))
	return [...forms]
}

/** The Basic credentials `base64(id:secret)` of both encodings (raw, and form-encoded per RFC 6749 §2.3.1), padded and not. */
export function basicForms({ clientId, clientSecret }: BasicCredentials): string[] {
	const forms = new Set<string>()
	for (const pair of [`${clientId}:${clientSecret}`, `${formEncode(clientId)}:${formEncode(clientSecret)}`]) {
		const base64 = Buffer.from(pair).toString('base64')
		forms.add(base64)
		forms.add(base64.replace(/=+$/, ''))
		forms.add(Buffer.from(pair).toString('base64url'))
	}
	return [...forms]
}

/**
 * A redactor for these secrets (empty strings ignored) and, when given, the Basic credentials built
 * from a client id and secret.
 */
export function createRedactor(secrets: readonly string[], basic?: BasicCredentials): Redactor {
	return build(new Set(basic ? basicForms(basic) : []), false, secrets)
}

function build(inherited: ReadonlySet<string>, inheritedWithholds: boolean, secrets: readonly string[]): Redactor {
	const forms = new Set(inherited)
	let withholds = inheritedWithholds
	for (const secret of secrets) {
		if (typeof secret !== 'string' || secret === '') continue
		if (secret.length < MIN_MASKABLE_LENGTH) withholds = true
		else for (const form of secretForms(secret)) forms.add(form)
	}
	// Longest first, so a secret inside a longer form (a Basic value) never leaves a tail behind.
	const ordered = [...forms].filter((form) => form.length >= MIN_MASKABLE_LENGTH).sort((a, b) => b.length - a.length)
	const mask = (text: string): string => {
		let masked = String(text)
		for (const form of ordered) if (masked.includes(form)) masked = masked.split(form).join(REDACTED)
		return masked
	}
	const redactor = ((text: string, maxLength = MAX_QUOTED_LENGTH): string => {
		if (withholds) return WITHHELD
		return truncate(mask(text), maxLength)
	}) as Redactor
	return Object.assign(redactor, {
		mask,
		with: (more: readonly string[]) => build(forms, withholds, more),
		withholds,
	})
}

/** Cuts masked text to `maxLength` characters, saying so. */
export function truncate(text: string, maxLength: number): string {
	return text.length <= maxLength ? text : `${text.slice(0, maxLength)}… (${text.length - maxLength} more characters)`
}

/** An error's message, with its cause's message (fetch puts the interesting part there). */
export function errorMessage(error: unknown): string {
	if (error instanceof Error) {
		const cause = error.cause instanceof Error ? ` (${error.cause.message})` : ''
		return `${error.message}${cause}`
	}
	return String(error)
}

/** A stand-in for an error from below (fetch, a socket, zlib), which can carry request details: a masked name, message and `code` only. */
export function safeCause(error: unknown, redact: Redactor): Error {
	const safe = new Error(redact.mask(errorMessage(error)))
	safe.name = error instanceof Error ? error.name : 'Error'
	const code = (error as { code?: unknown; cause?: { code?: unknown } } | undefined)?.cause?.code ?? (error as { code?: unknown })?.code
	if (typeof code === 'string') Object.assign(safe, { code })
	return safe
}

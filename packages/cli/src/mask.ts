/** How a secret is shown: its length only, never a character of it. */
export function masked(secret: string): string {
	return `[hidden: ${secret.length} chars]`
}

/** Shorter strings are not scrubbed from output: they would garble ordinary words. */
const MIN_SCRUBBED = 4

/**
 * Every secret the run has seen, and the scrubber that removes them from anything printed. The
 * commands never print a secret on purpose; this is the second line of defence, for text that comes
 * from elsewhere (a server's error description that echoes a credential, an API body quoting the token).
 */
export class Secrets {
	readonly #values = new Set<string>()

	/** Registers a secret together with the encodings it travels in (form-urlencoded, base64 in Basic). */
	add(value: string | undefined): void {
		if (value === undefined || value.length < MIN_SCRUBBED) return
		this.#values.add(value)
		const encoded = encodeURIComponent(value)
		if (encoded !== value) this.#values.add(encoded)
	}

	/** HTTP Basic credentials as sent: base64 of `id:secret`, raw and form-urlencoded (RFC 6749 §2.3.1). */
	addBasic(clientId: string, secret: string | undefined): void {
		if (secret === undefined) return
		const form = (text: string) => new URLSearchParams({ v: text }).toString().slice(2)
		for (const pair of [`${clientId}:${secret}`, `${form(clientId)}:${form(secret)}`]) this.add(Buffer.from(pair).toString('base64'))
	}

	/** The text with every registered secret replaced by `[hidden]`, longest first. */
	scrub(text: string): string {
		if (this.#values.size === 0) return text
		let result = text
		for (const value of [...this.#values].sort((a, b) => b.length - a.length)) {
			if (result.includes(value)) result = result.replaceAll(value, '[hidden]')
		}
		return result
	}
}

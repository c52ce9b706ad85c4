import type { FetchLike } from '@tokenwarden/core'

/** An output stream as the CLI uses it: `process.stdout` and `process.stderr` fit. */
export interface OutputStream {
	write(text: string): unknown
	/** True on a terminal: only then are colours used. */
	readonly isTTY?: boolean | undefined
}

/** An input stream as the CLI uses it: `process.stdin` fits. */
export interface InputStream extends AsyncIterable<string | Uint8Array> {
	/** True on a terminal: `inspect` then refuses to wait for a token typed by hand. */
	readonly isTTY?: boolean | undefined
}

/** Everything the CLI touches outside itself, injected: the bin passes the process's own. */
export interface CliIo {
	stdout: OutputStream
	stderr: OutputStream
	stdin: InputStream
	/** Environment variables (credentials, `NO_COLOR`, the `--passphrase-env` variable). */
	env: Readonly<Record<string, string | undefined>>
	/** Directory that relative file paths (`--cert`, `--client-secret-file`, …) are read from. */
	cwd: string
	/** fetch for the token endpoint (without mutual TLS) and the probes. */
	fetch: FetchLike
	/** Epoch milliseconds. */
	now: () => number
}

/** The process's own streams, environment, fetch and clock. */
export function processIo(): CliIo {
	return {
		stdout: process.stdout,
		stderr: process.stderr,
		stdin: process.stdin,
		env: process.env,
		cwd: process.cwd(),
		fetch: (input, init) => globalThis.fetch(input, init),
		now: () => Date.now(),
	}
}

/** Colours on a terminal only, and never when `NO_COLOR` is set to anything but the empty string (no-color.org). */
export function useColour(stream: OutputStream, env: CliIo['env']): boolean {
	return stream.isTTY === true && (env.NO_COLOR === undefined || env.NO_COLOR === '')
}

import { type Paint, painter } from './format.js'
import { type CliIo, useColour } from './io.js'
import type { Secrets } from './mask.js'

/** Where a command writes: every line passes the secret scrubber, colours only where the stream allows them. */
export interface Terminal {
	/** Results: the report, or the JSON object. */
	out(text: string): void
	/** Diagnostics: errors, hints, `--verbose` events. */
	err(text: string): void
	/** Paint for stdout. */
	paint: Paint
	/** Paint for stderr. */
	paintErr: Paint
}

export function terminal(io: CliIo, secrets: Secrets): Terminal {
	return {
		out: (text) => io.stdout.write(secrets.scrub(text)),
		err: (text) => io.stderr.write(secrets.scrub(text)),
		paint: painter(useColour(io.stdout, io.env)),
		paintErr: painter(useColour(io.stderr, io.env)),
	}
}

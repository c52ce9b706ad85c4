// Terminal output: plain lines, one provider per prefix, so that steps of providers running at the
// same time stay readable in a terminal and in CI logs (no colours, no cursor movement).

/** Records one expectation of a step: what was expected, whether it held, and what was measured. */
export type Expect = (expectation: string, ok: boolean, got: string) => void

interface Outcome {
	expectation: string
	ok: boolean
	got: string
}

/** Prints a line of progress while a step runs. */
export type Progress = (text: string) => void

export class Reporter {
	passed = 0
	failed = 0
	readonly #width: number

	constructor(providers: readonly string[]) {
		this.#width = Math.max(...providers.map((name) => name.length))
	}

	line(provider: string, text: string): void {
		console.log(this.#prefix(provider, text))
	}

	/**
	 * Runs one step: prints its title when it starts, progress while it runs, and its expectations when
	 * it ends (in one write, so that other providers' lines do not cut into them). Every line carries
	 * the provider and the step number, since the providers' steps run side by side. A step that throws fails.
	 */
	async step(provider: string, number: number, title: string, run: (expect: Expect, progress: Progress) => Promise<void>): Promise<void> {
		const tag = `${number}.`
		this.line(provider, `${tag} ${title}`)
		const outcomes: Outcome[] = []
		const started = performance.now()
		try {
			await run(
				(expectation, ok, got) => outcomes.push({ expectation, ok, got }),
				(text) => this.line(provider, `${tag}    ${text}`),
			)
		} catch (error) {
			outcomes.push({ expectation: 'the step runs to its end', ok: false, got: describeError(error) })
		}
		const seconds = ((performance.now() - started) / 1000).toFixed(1)
		const width = Math.max(...outcomes.map((outcome) => outcome.expectation.length))
		const lines = outcomes.map((outcome) => {
			if (outcome.ok) this.passed++
			else this.failed++
			return this.#prefix(provider, `${tag}    ${outcome.ok ? 'ok  ' : 'FAIL'}  ${outcome.expectation.padEnd(width)}  got ${outcome.got}`)
		})
		lines.push(this.#prefix(provider, `${tag}    done in ${seconds} s`))
		console.log(lines.join('\n'))
	}

	#prefix(provider: string, text: string): string {
		return `[${provider.padEnd(this.#width)}] ${text}`
	}
}

/** An error as one line: its class, code and message (tokenwarden errors never carry secrets). */
export function describeError(error: unknown): string {
	if (!(error instanceof Error)) return String(error)
	const code = (error as { code?: unknown }).code
	return `${error.name}${typeof code === 'string' ? ` ${code}` : ''}: ${error.message}`
}

/** A fixed-width text table. */
export function table(header: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
	const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)))
	const format = (cells: readonly string[]) => cells.map((cell, column) => (column === 0 ? cell.padEnd(widths[column] ?? 0) : cell.padStart(widths[column] ?? 0))).join('  ')
	return [format(header), widths.map((width) => '-'.repeat(width)).join('  '), ...rows.map(format)].join('\n')
}

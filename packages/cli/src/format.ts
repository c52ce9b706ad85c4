/** Human output fits a terminal of this many columns; only unbreakable words (URLs, tokens) may run past it. */
export const WIDTH = 80
/** Column where the values of labelled fields start. */
const LABEL_WIDTH = 14

export type Tone = 'plain' | 'good' | 'bad' | 'warn' | 'dim' | 'strong'

const CODES: Record<Exclude<Tone, 'plain'>, [number, number]> = {
	good: [32, 39],
	bad: [31, 39],
	warn: [33, 39],
	dim: [2, 22],
	strong: [1, 22],
}

/** Paints text in a tone, or leaves it alone when colours are off. */
export type Paint = (text: string, tone: Tone) => string

export function painter(colour: boolean): Paint {
	return (text, tone) => {
		if (!colour || tone === 'plain' || text === '') return text
		const [on, off] = CODES[tone]
		return `\u001b[${on}m${text}\u001b[${off}m`
	}
}

/** Splits text into lines of at most `width` columns at spaces; a longer word keeps a line of its own. */
export function wrap(text: string, width: number): string[] {
	const lines: string[] = []
	for (const paragraph of text.split('\n')) {
		let line = ''
		for (const word of paragraph.split(' ')) {
			if (word === '') continue
			if (line === '') line = word
			else if (line.length + 1 + word.length <= width) line += ` ${word}`
			else {
				lines.push(line)
				line = word
			}
		}
		lines.push(line)
	}
	return lines
}

/** A block of human output: labelled fields, headings and notes, wrapped to {@link WIDTH} columns. */
export class Report {
	readonly #lines: string[] = []
	readonly #paint: Paint

	constructor(paint: Paint) {
		this.#paint = paint
	}

	heading(text: string): this {
		if (this.#lines.length > 0) this.#lines.push('')
		this.#lines.push(this.#paint(text, 'strong'))
		return this
	}

	/** `label` in the left column, the value wrapped in the right one. */
	field(label: string, value: string, tone: Tone = 'plain'): this {
		const width = WIDTH - LABEL_WIDTH
		const lines = wrap(value, width)
		lines.forEach((line, index) => {
			const left = index === 0 ? label.padEnd(LABEL_WIDTH) : ' '.repeat(LABEL_WIDTH)
			this.#lines.push(`${this.#paint(left, 'dim')}${this.#paint(line, tone)}`.trimEnd())
		})
		return this
	}

	/** Free text, wrapped, with an optional indent. */
	text(value: string, tone: Tone = 'plain', indent = 0): this {
		for (const line of wrap(value, WIDTH - indent)) this.#lines.push(`${' '.repeat(indent)}${this.#paint(line, tone)}`)
		return this
	}

	/** One line as it is (a URL or a command to copy): never broken. */
	verbatim(value: string, indent = 0): this {
		this.#lines.push(`${' '.repeat(indent)}${value}`)
		return this
	}

	toString(): string {
		return `${this.#lines.join('\n')}\n`
	}
}

/** Local wall-clock time with its UTC offset: `2026-11-23 14:05:12 -03:00`. */
export function localTime(epochMs: number): string {
	const date = new Date(epochMs)
	const pad = (value: number) => String(Math.trunc(Math.abs(value))).padStart(2, '0')
	const offset = -date.getTimezoneOffset()
	const sign = offset >= 0 ? '+' : '-'
	return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())} ${sign}${pad(offset / 60)}:${pad(offset % 60)}`
}

/** A duration for people: `59 s`, `14 min 5 s`, `23 h 59 min`, `29 days 23 h`. */
export function duration(seconds: number): string {
	const s = Math.round(Math.abs(seconds))
	if (s < 60) return `${s} s`
	if (s < 3600) return `${Math.floor(s / 60)} min${s % 60 ? ` ${s % 60} s` : ''}`
	if (s < 86_400) return `${Math.floor(s / 3600)} h${Math.floor((s % 3600) / 60) ? ` ${Math.floor((s % 3600) / 60)} min` : ''}`
	const days = Math.floor(s / 86_400)
	return `${days} day${days === 1 ? '' : 's'}${Math.floor((s % 86_400) / 3600) ? ` ${Math.floor((s % 86_400) / 3600)} h` : ''}`
}

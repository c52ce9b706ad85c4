import { spawn } from 'node:child_process'
import { Readable } from 'node:stream'
import { fileURLToPath } from 'node:url'
import { type CliIo, run } from '@tokenwarden/cli'
import { expect } from 'vitest'

export const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url))

export interface CliResult {
	code: number
	stdout: string
	stderr: string
}

export interface RunOptions {
	env?: Record<string, string> | undefined
	stdin?: string | undefined
	/** In-process only: pretend stdout and stderr are terminals. */
	tty?: boolean | undefined
	/** In-process only: pretend stdin is a terminal. */
	stdinTty?: boolean | undefined
}

export type Runner = (args: readonly string[], options?: RunOptions) => Promise<CliResult>

/** `node dist/cli.js …` in a child process with only PATH and the given variables in its environment. */
export const subprocess: Runner = (args, options = {}) =>
	new Promise((resolve, reject) => {
		const child = spawn(process.execPath, [CLI, ...args], { env: { PATH: process.env.PATH ?? '', ...options.env }, stdio: ['pipe', 'pipe', 'pipe'] })
		let stdout = ''
		let stderr = ''
		child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
		child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
		child.on('error', reject)
		child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }))
		child.stdin.end(options.stdin ?? '')
	})

/** The same command through the package's `run`, with injected streams (it counts for coverage; the child does not). */
export const inProcess: Runner = async (args, options = {}) => {
	let stdout = ''
	let stderr = ''
	const io: CliIo = {
		stdout: { write: (text: string) => (stdout += text), isTTY: options.tty },
		stderr: { write: (text: string) => (stderr += text), isTTY: options.tty },
		stdin: Object.assign(Readable.from(options.stdin === undefined ? [] : [options.stdin]), { isTTY: options.stdinTty }),
		env: { ...options.env },
		cwd: process.cwd(),
		fetch: (input, init) => globalThis.fetch(input, init),
		now: () => Date.now(),
	}
	const code = await run(args, io)
	return { code, stdout, stderr }
}

/** Both ways of running: every scenario runs as a child process and in-process. */
export const RUNNERS: [string, Runner][] = [
	['subprocess', subprocess],
	['in-process', inProcess],
]

/** Neither stream carries any of the secrets, raw or in the encodings they travel in. */
export function expectNoSecrets(result: CliResult, secrets: readonly (string | undefined)[]): void {
	const output = result.stdout + result.stderr
	for (const secret of secrets) {
		if (secret === undefined) continue
		for (const form of [secret, encodeURIComponent(secret), Buffer.from(secret).toString('base64'), Buffer.from(secret).toString('base64url')]) {
			expect(output.includes(form), `output must not contain a secret (${secret.length} chars)`).toBe(false)
		}
		// Nor a cut-off piece of a long one (a quoted body shortened after the token began).
		if (secret.length > 24) expect(output.includes(secret.slice(0, 24)), 'output must not contain the start of a secret').toBe(false)
	}
}

/** Every line fits 80 columns, but for lines that are one unbreakable word (a URL). */
export function expectFits80(text: string): void {
	for (const line of text.split('\n')) {
		if (line.length > 80) expect(line.trim().includes(' '), `line wider than 80 columns: ${line}`).toBe(false)
	}
}

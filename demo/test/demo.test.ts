import { spawn, spawnSync } from 'node:child_process'
import { existsSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { beforeAll, describe, expect, it } from 'vitest'
import { credentials, holder, pixProviders } from '../config.ts'

const root = fileURLToPath(new URL('../..', import.meta.url))
/** The packages the demo imports by name, in build order. */
const PACKAGES = ['core', 'axios', 'ky']

/** Newest modification time of the files under a folder. */
function newest(folder: string): number {
	let latest = 0
	for (const entry of readdirSync(folder, { withFileTypes: true, recursive: true })) {
		if (entry.isFile()) latest = Math.max(latest, statSync(join(entry.parentPath, entry.name)).mtimeMs)
	}
	return latest
}

/**
 * The demo runs against dist/, like an application would. Build a package whose dist is missing
 * (a fresh clone where `pnpm test` runs before `pnpm demo`) or older than its sources.
 */
function ensureBuilt(): void {
	for (const name of PACKAGES) {
		const folder = join(root, 'packages', name)
		const output = join(folder, 'dist', 'index.js')
		if (existsSync(output) && statSync(output).mtimeMs >= newest(join(folder, 'src'))) continue
		const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc')
		const result = spawnSync(process.execPath, [tsc, '-p', join(folder, 'tsconfig.build.json')], { encoding: 'utf8' })
		if (result.status !== 0) throw new Error(`building packages/${name} failed:\n${result.stdout}${result.stderr}`)
	}
}

/** Runs the demo in its own process; kills it if it outlives the test. */
function runDemo(): Promise<{ code: number | null; output: string }> {
	return new Promise((resolve, reject) => {
		const child = spawn(process.execPath, [join(root, 'demo', 'run.ts')], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] })
		let output = ''
		child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()))
		child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()))
		const timer = setTimeout(() => child.kill('SIGKILL'), 55_000)
		child.on('error', reject)
		child.on('close', (code) => {
			clearTimeout(timer)
			resolve({ code, output })
		})
	})
}

describe('pnpm demo', () => {
	let result: { code: number | null; output: string }

	beforeAll(async () => {
		ensureBuilt()
		result = await runDemo()
	})

	it('meets every expectation and exits 0', () => {
		expect(result.output).toMatch(/^all \d+ expectations met in [\d.]+ s$/m)
		expect(result.output).not.toMatch(/FAIL/)
		expect(result.code, result.output).toBe(0)
	})

	it('ends with a summary row per provider', () => {
		const summary = result.output.slice(result.output.indexOf('\nSummary'))
		for (const provider of ['juno', 'bankly', 'bs2', 'bs2Banking', ...pixProviders]) {
			expect(summary).toMatch(new RegExp(`^${provider} +\\d+ +\\d+ +\\d+ +0 +[\\d.]+ +[\\d.]+$`, 'm'))
		}
	})

	it('prints no client secret or holder password', () => {
		for (const client of Object.values(credentials)) if ('clientSecret' in client) expect(result.output).not.toContain(client.clientSecret)
		expect(result.output).not.toContain(holder.password)
	})
})

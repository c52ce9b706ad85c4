import { readFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { expectFits80, RUNNERS } from './run-cli.ts'
import { CLIENT_ID, CLIENT_SECRET, startTokenEndpoint, type TokenEndpoint } from './servers.ts'

let endpoint: TokenEndpoint
beforeAll(async () => {
	endpoint = await startTokenEndpoint({ expiresIn: 600, scopes: ['cob.read'] })
})
afterAll(() => endpoint.close())

const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }

describe.each(RUNNERS)('version and help (%s)', (_, cli) => {
	it.each([['--version'], ['-v']])('%s prints the package version and exits 0', async (flag) => {
		const result = await cli([flag])
		expect(result).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' })
	})

	it('--help lists every preset the core exports, each with a one-line description, and no helper as a preset', async () => {
		const result = await cli(['--help'])
		expect(result.code).toBe(0)
		const presets = result.stdout.slice(result.stdout.indexOf('Presets:\n') + 'Presets:\n'.length, result.stdout.indexOf('\n\nOptions:'))
		const lines = presets.split('\n')
		const names = lines.map((line) => line.trim().split(/\s+/, 1)[0])
		expect(names).toEqual(['juno', 'bankly', 'bs2', 'bs2Banking', 'inter', 'itau', 'santander', 'bancoDoBrasil', 'sicoob', 'efi'])
		for (const line of lines) {
			expect(line).toMatch(/^ {2}\w+ +\S.{10,}$/)
			expect(line).not.toContain('see the @tokenwarden/core README')
		}
		expect(result.stdout).toContain('-v, --version')
		expectFits80(result.stdout)
	})

	it('a preset that takes no option for a flag given (--scope for juno) still works: the flag goes to the manager', async () => {
		const env = { TOKENWARDEN_CLIENT_ID: CLIENT_ID, TOKENWARDEN_CLIENT_SECRET: CLIENT_SECRET }
		const result = await cli(['token', '--preset', 'juno', '--environment', 'sandbox', '--token-url', endpoint.tokenUrl, '--scope', 'cob.read', '--json'], { env })
		expect(result.stderr).toBe('')
		expect(result.code).toBe(0)
		expect(JSON.parse(result.stdout)).toMatchObject({ preset: 'juno', scope: { requested: ['cob.read'], granted: ['cob.read'] } })
	})

	it('a helper of the providers module is no preset (bancoDoBrasilApi)', async () => {
		const result = await cli(['token', '--preset', 'bancoDoBrasilApi', '--environment', 'sandbox'], { env: { TOKENWARDEN_CLIENT_ID: 'id' } })
		expect(result.code).toBe(2)
		expect(result.stderr).toContain('unknown preset "bancoDoBrasilApi"')
	})
})

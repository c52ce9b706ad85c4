import { generateKeyPairSync } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { generateCertificates, type TestCertificates } from '../../core/test/fixtures/certificates.ts'
import { expectNoSecrets, RUNNERS } from './run-cli.ts'
import { CLIENT_ID, type Running, startMtlsServer, startTokenEndpoint, type TokenEndpoint } from './servers.ts'

let certs: TestCertificates
let mtls: Running & { tokenUrl: string; server: import('@tokenwarden/testing').TokenServer }
let signed: TokenEndpoint
let dir: string
const file = (name: string, content: string | Buffer) => {
	const path = join(dir, name)
	writeFileSync(path, content)
	return path
}
const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' })
const PASSPHRASE_ENV = { TOKENWARDEN_CLIENT_ID: CLIENT_ID, KEY_PASSPHRASE: 'test-only passphrase' }

beforeAll(async () => {
	certs = generateCertificates()
	mtls = await startMtlsServer(certs)
	signed = await startTokenEndpoint({ clientAuth: 'private_key_jwt', clientSecret: undefined })
	dir = mkdtempSync(join(tmpdir(), 'tokenwarden-cli-mtls-'))
})
afterAll(async () => {
	await Promise.all([mtls.close(), signed.close()])
	rmSync(dir, { recursive: true, force: true })
})

describe.each(RUNNERS)('mutual TLS and signed assertions (%s)', (_, cli) => {
	it('--cert/--key/--ca: tls_client_auth, the token, and a probe that presents the certificate', async () => {
		const args = [
			'--token-url',
			mtls.tokenUrl,
			'--cert',
			file('client.crt', certs.client.cert),
			'--key',
			file('client.key', certs.client.key),
			'--ca',
			file('ca.crt', certs.ca.cert),
		]
		const result = await cli(['token', ...args, '--probe', `${mtls.url}/api`, '--json'], { env: { TOKENWARDEN_CLIENT_ID: CLIENT_ID } })
		expect(result.stderr).toBe('')
		expect(result.code).toBe(0)
		const json = JSON.parse(result.stdout)
		expect(json).toMatchObject({ clientAuth: 'tls_client_auth', format: 'jwt', expirySource: 'exp', clockSkewSource: 'unknown', probes: [{ ok: true, status: 200 }] })
		expect(mtls.server.requests.at(-1)).toMatchObject({ clientId: CLIENT_ID })
		expectNoSecrets(
			result,
			mtls.server.issued.map((item) => item.accessToken),
		)
	})

	it('an encrypted key with --passphrase-env; the passphrase never printed', async () => {
		const args = [
			'--token-url',
			mtls.tokenUrl,
			'--cert',
			file('client.crt', certs.client.cert),
			'--key',
			file('client.enc.key', certs.encryptedKey),
			'--ca',
			file('ca.crt', certs.ca.cert),
		]
		const result = await cli(['token', ...args, '--passphrase-env', 'KEY_PASSPHRASE', '--verbose'], { env: PASSPHRASE_ENV })
		expect(result.code).toBe(0)
		expectNoSecrets(result, [PASSPHRASE_ENV.KEY_PASSPHRASE, ...mtls.server.issued.map((item) => item.accessToken)])
		const unset = await cli(['token', ...args, '--passphrase-env', 'NOT_SET'], { env: PASSPHRASE_ENV })
		expect(unset.code).toBe(2)
		expect(unset.stderr).toContain('--passphrase-env names NOT_SET, which is not set')
	})

	it('a certificate the server does not trust: a TLS failure in one line, exit 1', async () => {
		const args = [
			'--token-url',
			mtls.tokenUrl,
			'--cert',
			file('other.crt', certs.otherClient.cert),
			'--key',
			file('other.key', certs.otherClient.key),
			'--ca',
			file('ca.crt', certs.ca.cert),
		]
		const result = await cli(['token', ...args, '--timeout', '3000'], { env: { TOKENWARDEN_CLIENT_ID: CLIENT_ID } })
		expect(result.code).toBe(1)
		expect(result.stderr).toContain('[TOKEN_ENDPOINT_ERROR]')
		expect(result.stderr).toMatch(/hint: /)
	})

	it('a key that is not one: usage error, exit 2, no key material quoted', async () => {
		const args = ['--token-url', mtls.tokenUrl, '--cert', file('client.crt', certs.client.cert), '--key', file('bad.key', 'not a key'), '--ca', file('ca.crt', certs.ca.cert)]
		const result = await cli(['token', ...args], { env: { TOKENWARDEN_CLIENT_ID: CLIENT_ID } })
		expect(result.code).toBe(2)
		expect(result.stderr).not.toContain('not a key')
	})

	it('--private-key (PEM with --key-id and --algorithm): private_key_jwt', async () => {
		const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()
		const result = await cli(['token', '--token-url', signed.tokenUrl, '--private-key', file('signing.pem', pem), '--key-id', 'k1', '--algorithm', 'ES256', '--json'], {
			env: { TOKENWARDEN_CLIENT_ID: CLIENT_ID },
		})
		expect(result.code).toBe(0)
		expect(JSON.parse(result.stdout).clientAuth).toBe('private_key_jwt')
		expect(signed.server.requests.at(-1)).toMatchObject({ clientAuth: 'private_key_jwt', clientId: CLIENT_ID })
		expect(result.stdout + result.stderr).not.toContain('PRIVATE KEY')
	})

	it('--private-key (a private JWK with kid and alg)', async () => {
		const jwk = { ...privateKey.export({ format: 'jwk' }), kid: 'k2', alg: 'ES256' }
		const result = await cli(['token', '--token-url', signed.tokenUrl, '--private-key', file('signing.jwk.json', JSON.stringify(jwk))], {
			env: { TOKENWARDEN_CLIENT_ID: CLIENT_ID },
		})
		expect(result.code).toBe(0)
		expect(result.stdout).toContain('client auth   private_key_jwt')
		expect(result.stdout + result.stderr).not.toContain(String(jwk.d))
	})
})

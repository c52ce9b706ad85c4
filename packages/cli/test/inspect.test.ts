import { UnsecuredJWT } from 'jose'
import { describe, expect, it } from 'vitest'
import { expectFits80, expectNoSecrets, inProcess, RUNNERS } from './run-cli.ts'

const now = Math.floor(Date.now() / 1000)
const jwt = new UnsecuredJWT({ iss: 'https://auth.example.com', aud: ['https://api.example.com'], scope: 'cob.read pix.read', iat: now - 60, exp: now + 3600 }).encode()
const expired = new UnsecuredJWT({ iss: 'https://auth.example.com', exp: now - 600 }).encode()
const opaque = 'b3f1c2d4-5e6f-4a7b-8c9d-0e1f2a3b4c5d'

describe.each(RUNNERS)('inspect (%s)', (_, cli) => {
	it('a JWT from stdin: expiry, audience, scope, decoded claims marked unverified; the token is not printed', async () => {
		const result = await cli(['inspect'], { stdin: `${jwt}\n` })
		expect(result.code).toBe(0)
		expect(result.stdout).toContain('Token read from stdin (offline, nothing verified)')
		expect(result.stdout).toMatch(/expires\s+.+, in 59 min \d+ s|expires\s+.+, in 1 h/)
		expect(result.stdout).toContain("expiry from   the JWT's exp claim")
		expect(result.stdout).toContain('audience      https://api.example.com')
		expect(result.stdout).toContain('scope         cob.read pix.read')
		expect(result.stdout).toContain('JWT payload (unverified: decoded, signature not checked)')
		expectFits80(result.stdout)
		expectNoSecrets(result, [jwt])
	})

	it('--json: the same fields', async () => {
		const result = await cli(['inspect', '--json'], { stdin: `Authorization: Bearer ${jwt}` })
		expect(result.code).toBe(0)
		const json = JSON.parse(result.stdout)
		expect(json).toMatchObject({
			ok: true,
			command: 'inspect',
			format: 'jwt',
			accessToken: `[hidden: ${jwt.length} chars]`,
			expiresAt: new Date((now + 3600) * 1000).toISOString(),
			expired: false,
			expirySource: 'exp',
			scope: ['cob.read', 'pix.read'],
			jwt: { verified: false, header: { alg: 'none' }, payload: { iss: 'https://auth.example.com' } },
		})
		expectNoSecrets(result, [jwt])
	})

	it('an expired JWT says so', async () => {
		const result = await cli(['inspect', '--json'], { stdin: expired })
		expect(JSON.parse(result.stdout)).toMatchObject({ expired: true, expirySource: 'exp' })
		const human = await cli(['inspect'], { stdin: expired })
		expect(human.stdout).toMatch(/expired 10 min( \d+ s)? ago/)
	})

	it('an opaque token: nothing to decode', async () => {
		const result = await cli(['inspect'], { stdin: opaque })
		expect(result.code).toBe(0)
		expect(result.stdout).toContain(`opaque, ${opaque.length} characters: nothing to decode`)
		expect(result.stdout).toContain('unknown: no exp claim')
		expectNoSecrets(result, [opaque])
	})

	it('a whole token response: expires_in counts from now; the refresh token is masked', async () => {
		const refresh = 'refresh-token-value-9f8e7d6c5b4a'
		const body = JSON.stringify({ access_token: opaque, token_type: 'bearer', expires_in: 300, scope: 'a b', refresh_token: refresh })
		const result = await cli(['inspect', '--json'], { stdin: body })
		expect(JSON.parse(result.stdout)).toMatchObject({ format: 'opaque', tokenType: 'bearer', expirySource: 'expires_in', expiresIn: 300, scope: ['a', 'b'] })
		const human = await cli(['inspect'], { stdin: body })
		expect(human.stdout).toContain(`refresh token [hidden: ${refresh.length} chars], never printed`)
		expectNoSecrets(result, [opaque, refresh])
		expectNoSecrets(human, [opaque, refresh])
	})

	it.each([
		['', 'no token on stdin'],
		['two words', 'not one token'],
		['{"token": 1}', 'no access_token'],
		['{not json', 'not JSON'],
	])('%j: usage error, exit 2', async (stdin, message) => {
		const result = await cli(['inspect'], { stdin })
		expect(result.code).toBe(2)
		expect(result.stderr).toContain(message)
	})
})

describe('inspect on a terminal', () => {
	it('refuses to wait for a token typed by hand', async () => {
		const result = await inProcess(['inspect'], { stdinTty: true })
		expect(result.code).toBe(2)
		expect(result.stderr).toContain('hint: pipe it in')
	})
})

describe('colours', () => {
	it('on a terminal, colours; with NO_COLOR, none; through a pipe, none', async () => {
		const coloured = await inProcess(['inspect'], { stdin: jwt, tty: true })
		expect(coloured.stdout).toContain('\u001b[')
		const noColor = await inProcess(['inspect'], { stdin: jwt, tty: true, env: { NO_COLOR: '1' } })
		expect(noColor.stdout).not.toContain('\u001b[')
		const piped = await inProcess(['inspect'], { stdin: jwt })
		expect(piped.stdout).not.toContain('\u001b[')
	})
})

import { describe, expect, it } from 'vitest'
import { bancoDoBrasil, bancoDoBrasilApi, bankly, bs2, bs2Banking, efi, inter, interApi, itau, juno, santander, sicoob, sicoobApi } from '../src/providers/index.js'

const tls = { cert: 'cert', key: 'key' }
const secret = 'super-secret-value'

/** Each preset with options it accepts apart from the one under test (so the check under test is the one that fails). */
const presets: [string, (options: Record<string, unknown>) => unknown, Record<string, unknown>][] = [
	['juno', (o) => juno(o as never), { environment: 'sandbox', clientId: 'id', clientSecret: secret }],
	['bankly', (o) => bankly(o as never), { environment: 'sandbox', clientId: 'id', clientSecret: secret, scope: 'a' }],
	['bs2', (o) => bs2(o as never), { environment: 'sandbox', clientId: 'id', clientSecret: secret, scope: 'a' }],
	['bs2Banking', (o) => bs2Banking(o as never), { environment: 'sandbox', clientId: 'id', clientSecret: secret, scope: 'a', redirectUri: 'https://app.example/cb' }],
	['inter', (o) => inter(o as never), { environment: 'sandbox', clientId: 'id', clientSecret: secret, scope: 'a', tls }],
	['itau', (o) => itau(o as never), { environment: 'production', clientId: 'id', clientSecret: secret, tls }],
	['santander', (o) => santander(o as never), { environment: 'sandbox', clientId: 'id', clientSecret: secret }],
	['bancoDoBrasil', (o) => bancoDoBrasil(o as never), { environment: 'sandbox', clientId: 'id', clientSecret: secret, scope: 'a' }],
	['sicoob', (o) => sicoob(o as never), { environment: 'production', clientId: 'id', scope: 'a', tls }],
	['efi', (o) => efi(o as never), { environment: 'sandbox', clientId: 'id', clientSecret: secret, tls: { pfx: 'not checked: an unknown key fails first' } }],
]

describe('presets check their own options as the manager does', () => {
	it.each(presets)('%s: an unknown key is a TypeError naming it, with "did you mean"', (name, preset, good) => {
		expect(() => preset({ ...good, scpoe: 'a' })).toThrow(TypeError)
		const expected =
			name === 'juno'
				? new RegExp(`^tokenwarden: expected no option ${name}\\.scpoe, got a string of 1 characters \\(known: `)
				: `tokenwarden: expected no option ${name}.scpoe, got a string of 1 characters; did you mean ${name}.scope?`
		expect(() => preset({ ...good, scpoe: 'a' })).toThrow(expected)
		expect(() => preset({ ...good, clientSecert: secret })).toThrow(name === 'sicoob' ? /expected no option sicoob\.clientSecert/ : `did you mean ${name}.clientSecret?`)
	})

	it.each(presets)('%s: a wrong type is a TypeError in the expected … got … style, never quoting a secret', (name, preset, good) => {
		expect(() => preset({ ...good, clientId: 42 })).toThrow(`tokenwarden: expected ${name} option clientId to be a non-empty string, got 42`)
		expect(() => preset({ ...good, tokenUrl: 'not a url' })).toThrow(`tokenwarden: expected ${name} option tokenUrl to be an absolute http(s) URL, got "not a url"`)
		expect(() => preset({ ...good, environment: 'staging' })).toThrow(new RegExp(`^tokenwarden: expected ${name} option environment to be 'sandbox'.*, got "staging"$`))
		if ('clientSecret' in good) {
			expect(() => preset({ ...good, clientSecret: ['x', secret] })).toThrow(`tokenwarden: expected ${name} option clientSecret to be a non-empty string, got an array of 2`)
		}
		if (name !== 'juno')
			expect(() => preset({ ...good, scope: 7 })).toThrow(`tokenwarden: expected ${name} option scope to be a space-separated string or an array of strings, got 7`)
		if (name !== 'juno' && name !== 'bs2' && name !== 'bs2Banking')
			expect(() => preset({ ...good, tls: 'cert.pem' })).toThrow(new RegExp(`^tokenwarden: expected ${name} option tls to be TLS options`))
		expect(() => preset(null as never)).toThrow(`tokenwarden: expected ${name} options to be an object, got null`)
	})

	it('a secret given under a mistyped key is not quoted', () => {
		expect(() => bancoDoBrasil({ environment: 'sandbox', clientId: 'id', clientSecret: 's', scope: 'a', clientScret: secret } as never)).toThrow(
			'tokenwarden: expected no option bancoDoBrasil.clientScret, got a string of 18 characters; did you mean bancoDoBrasil.clientSecret?',
		)
	})

	it('the API helpers check theirs too', () => {
		expect(() => bancoDoBrasilApi({ developerApplicationKey: 'k', paramter: 'gw-app-key' } as never)).toThrow('did you mean bancoDoBrasilApi.parameter?')
		expect(() => bancoDoBrasilApi({ developerApplicationKey: 42 } as never)).toThrow(
			'tokenwarden: expected bancoDoBrasilApi option developerApplicationKey to be a non-empty string, got 42',
		)
		expect(() => sicoobApi({ clientID: 'x' } as never)).toThrow('did you mean sicoobApi.clientId?')
		expect(() => interApi({ contaCorrente: 12345 } as never)).toThrow('tokenwarden: expected interApi option contaCorrente to be a non-empty string, got 12345')
		expect(() => interApi({ contaCorrente: '0012-3' })).toThrow('tokenwarden: expected interApi option contaCorrente to be digits without leading zeros, got "0012-3"')
	})
})

describe('a provider that publishes no token URL for an environment', () => {
	it.each([
		['itau', () => itau({ environment: 'sandbox', clientId: 'id', clientSecret: secret }), 'https://devportal.itau.com.br/autenticacao-documentacao'],
		['sicoob', () => sicoob({ environment: 'sandbox', clientId: 'id', scope: 'a', tls }), 'https://developers.sicoob.com.br'],
		['bs2', () => bs2({ environment: 'production', clientId: 'id', clientSecret: secret, scope: 'a' }), 'https://devs.bs2.com/reference/post_auth-oauth-v2-token-1'],
	])('%s: says which environment and links the documentation', (name, make, docs) => {
		const environment = name === 'bs2' ? 'production' : 'sandbox'
		expect(make).toThrow(
			`tokenwarden: ${name} does not publish its ${environment} tokenUrl; pass tokenUrl explicitly (the one your ${name} ${environment} credentials came with; see ${docs})`,
		)
	})
})

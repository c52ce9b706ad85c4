import { createHash, X509Certificate } from 'node:crypto'
import { inspect } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTokenManager, OAuthError, TokenEndpointError, type TokenManagerOptions, TokenWardenError } from '@tokenwarden/core'
import {
	bancoDoBrasil,
	bancoDoBrasilApi,
	bancoDoBrasilApiParams,
	decorateUrl,
	efi,
	INTER_RATE_LIMIT,
	inter,
	interApi,
	itau,
	santander,
	sicoob,
	sicoobApi,
} from '@tokenwarden/core/providers'
import { generateCertificates, type TestCertificates } from './fixtures/certificates.ts'
import { type HttpsEndpoint, type HttpsReply, type SeenHttpsRequest, startHttpsEndpoint } from './fixtures/https-endpoint.ts'
import { generatePkcs12, type Pkcs12Bundles } from './fixtures/pkcs12.ts'

// Local imitations of each provider's documented token endpoint, over HTTPS on 127.0.0.1 with the test
// CA, asking for the client certificate where the provider requires mutual TLS. Each checks what the
// provider's documentation says its token request must carry, and refuses the request otherwise.

const CLIENT_ID = 'client-1'
/** Characters that form-urlencoding would change: the raw Basic encoding shows. */
const SECRET = 'pix-secret+/=:é'

let certs: TestCertificates
let p12: Pkcs12Bundles
const endpoints: Record<string, HttpsEndpoint> = {}

const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`
const token = (expiresIn: number, scope?: string): HttpsReply => [
	200,
	{ access_token: `at-${Math.random().toString(36).slice(2)}`, token_type: 'Bearer', expires_in: expiresIn, scope },
]
const refuse = (status: number, error: string, description: string): HttpsReply => [status, { error, error_description: description }]
const thumbprintOf = (pem: string) => createHash('sha256').update(new X509Certificate(pem).raw).digest('base64url')

/** The documented rules of each token endpoint; every imitation answers only to its documented path. */
const IMITATIONS: Record<string, { mutualTls: boolean; path: string; handle: (request: SeenHttpsRequest) => HttpsReply }> = {
	// https://developers.inter.co/references/token
	inter: {
		mutualTls: true,
		path: '/oauth/v2/token',
		handle: ({ form, headers }) => {
			if (headers.authorization !== undefined) return refuse(400, 'invalid_request', 'credentials go in the body')
			if (form.client_id !== CLIENT_ID || form.client_secret !== SECRET) return refuse(401, 'invalid_client', 'bad client')
			if (form.grant_type !== 'client_credentials') return refuse(400, 'unsupported_grant_type', 'client_credentials only')
			if (!form.scope) return refuse(400, 'invalid_scope', 'scope is required')
			return token(3600, form.scope)
		},
	},
	// https://devportal.itau.com.br/autenticacao-documentacao
	itau: {
		mutualTls: true,
		path: '/api/oauth/token',
		handle: ({ form }) => {
			if (form.client_id !== CLIENT_ID || form.client_secret !== SECRET) return refuse(401, 'invalid_client', 'bad client')
			if (form.grant_type !== 'client_credentials') return refuse(400, 'unsupported_grant_type', 'client_credentials only')
			return token(300)
		},
	},
	// Santander API Pix user guide, "Método Autenticação OAUTH"
	santander: {
		mutualTls: true,
		path: '/oauth/token',
		handle: ({ form, url }) => {
			if (url.searchParams.get('grant_type') !== 'client_credentials') return refuse(400, 'invalid_request', 'grant_type is read from the query string')
			if (form.client_id !== CLIENT_ID || form.client_secret !== SECRET) return refuse(401, 'invalid_client', 'bad client')
			return token(900)
		},
	},
	// https://developers.bb.com.br
	bancoDoBrasil: {
		mutualTls: false,
		path: '/oauth/token',
		handle: ({ form, headers }) => {
			if (headers.authorization !== basic(CLIENT_ID, SECRET)) return refuse(401, 'invalid_client', 'Basic base64(client_id:client_secret) required')
			if (form.grant_type !== 'client_credentials') return refuse(400, 'unsupported_grant_type', 'client_credentials only')
			if (!form.scope) return refuse(400, 'invalid_scope', 'scope is required')
			return token(600, form.scope)
		},
	},
	// https://developers.sicoob.com.br
	sicoob: {
		mutualTls: true,
		path: '/auth/realms/cooperado/protocol/openid-connect/token',
		handle: ({ form, headers, certificate }) => {
			if (headers.authorization !== undefined || form.client_secret !== undefined) return refuse(400, 'invalid_request', 'public client: no secret')
			if (form.client_id !== CLIENT_ID || certificate?.subject !== CLIENT_ID) return refuse(401, 'unauthorized_client', 'certificate not registered for this client')
			if (!form.scope) return refuse(400, 'invalid_scope', 'scope is required')
			return token(300, form.scope)
		},
	},
	// https://dev.efipay.com.br/docs/api-pix/credenciais/
	efi: {
		mutualTls: true,
		path: '/oauth/token',
		handle: ({ json, headers }) => {
			if (!String(headers['content-type']).startsWith('application/json')) return refuse(400, 'invalid_request', 'JSON body expected')
			if (headers.authorization !== basic(CLIENT_ID, SECRET)) return refuse(401, 'invalid_client', 'bad client')
			if (json?.grant_type !== 'client_credentials') return refuse(400, 'unsupported_grant_type', 'client_credentials only')
			return token(3600)
		},
	},
}

beforeAll(async () => {
	certs = generateCertificates()
	p12 = generatePkcs12({ client: certs.client, expired: certs.expired })
	for (const [name, imitation] of Object.entries(IMITATIONS)) {
		endpoints[name] = await startHttpsEndpoint(certs, {
			mutualTls: imitation.mutualTls,
			handle: (request) => (request.method === 'POST' && request.url.pathname === imitation.path ? imitation.handle(request) : [404, { error: 'not_found' }]),
		})
	}
})

afterAll(async () => {
	await Promise.all(Object.values(endpoints).map((endpoint) => endpoint.close()))
})

/** The preset's documented URL, moved to the local imitation: same path and query, local origin. */
function local(name: string, documented: string): string {
	const url = new URL(documented)
	return `${endpoints[name]?.origin}${url.pathname}${url.search}`
}

function last(name: string): SeenHttpsRequest {
	const seen = endpoints[name]?.seen ?? []
	return seen[seen.length - 1] as SeenHttpsRequest
}

const pem = () => ({ cert: certs.client.cert, key: certs.client.key, ca: certs.ca.cert })

/** A manager from preset options pointed at the imitation, retries off. */
function managerFor(name: string, options: TokenManagerOptions): ReturnType<typeof createTokenManager> {
	return createTokenManager({ ...options, tokenUrl: local(name, options.tokenUrl), retry: 0 } as TokenManagerOptions)
}

/** A failed token request: typed, and without the secret in any encoding. */
async function refusal(promise: Promise<unknown>): Promise<TokenWardenError> {
	const error = await promise.then(
		() => undefined,
		(caught: unknown) => caught,
	)
	expect(error).toBeInstanceOf(TokenWardenError)
	const text = `${(error as Error).message} ${inspect(error, { depth: 6 })} ${JSON.stringify(error)}`
	for (const form of [SECRET, encodeURIComponent(SECRET), Buffer.from(`${CLIENT_ID}:${SECRET}`).toString('base64')]) expect(text).not.toContain(form)
	return error as TokenWardenError
}

describe('inter', () => {
	const options = (overrides = {}) => inter({ environment: 'sandbox', clientId: CLIENT_ID, clientSecret: SECRET, scope: ['cob.write', 'cob.read'], tls: pem(), ...overrides })

	it('documented URLs, 60-minute tokens, at most 4 token requests a minute (Inter allows 5)', () => {
		expect(options().tokenUrl).toBe('https://cdpj-sandbox.partners.uatinter.co/oauth/v2/token')
		expect(options({ environment: 'production' })).toMatchObject({
			tokenUrl: 'https://cdpj.partners.bancointer.com.br/oauth/v2/token',
			defaultLifetime: 3_600_000,
			rateLimit: INTER_RATE_LIMIT,
		})
		expect(INTER_RATE_LIMIT).toEqual({ limit: 4, interval: 60_000 })
	})

	it('gets a token over mutual TLS with client_id, client_secret, grant_type and scope in the form body', async () => {
		const got = await managerFor('inter', options()).getToken()
		expect(got.scope).toEqual(['cob.read', 'cob.write'])
		const seen = last('inter')
		expect(seen.form).toEqual({ grant_type: 'client_credentials', client_id: CLIENT_ID, client_secret: SECRET, scope: 'cob.read cob.write' })
		expect(seen.headers.authorization).toBeUndefined()
		expect(seen.certificate?.thumbprint).toBe(thumbprintOf(certs.client.cert))
	})

	it('needs the certificate and a scope before any request', () => {
		expect(() => inter({ environment: 'sandbox', clientId: CLIENT_ID, clientSecret: SECRET, scope: 'cob.read' } as never)).toThrowError(/inter needs tls/)
		expect(() => options({ scope: [] })).toThrowError(/inter needs scope/)
	})

	it('refused without a scope or with a wrong secret: an OAuthError without the secret', async () => {
		const { scope: _scope, ...withoutScope } = options()
		const error = await refusal(managerFor('inter', withoutScope as TokenManagerOptions).getToken())
		expect(error).toBeInstanceOf(OAuthError)
		expect((error as OAuthError).error).toBe('invalid_scope')
		const wrong = await refusal(managerFor('inter', { ...options(), clientSecret: `${SECRET}x` }).getToken())
		expect((wrong as OAuthError).error).toBe('invalid_client')
	})

	it('refused at the handshake without the certificate: a TokenEndpointError', async () => {
		const { tls: _tls, ...withoutCertificate } = options()
		const error = await refusal(managerFor('inter', { ...withoutCertificate, tls: { ca: certs.ca.cert } } as TokenManagerOptions).getToken())
		expect(error).toBeInstanceOf(TokenEndpointError)
		expect(error.message).toMatch(/TLS handshake/)
	})

	it('interApi: the x-conta-corrente header when the integration has several accounts', () => {
		expect(interApi()).toEqual({ searchParams: {}, headers: {} })
		expect(interApi({ contaCorrente: '12345678' })).toEqual({ searchParams: {}, headers: { 'x-conta-corrente': '12345678' } })
		expect(() => interApi({ contaCorrente: '0012-3' })).toThrowError(TypeError)
	})
})

describe('itau', () => {
	const options = (overrides = {}) => itau({ environment: 'production', clientId: CLIENT_ID, clientSecret: SECRET, tls: pem(), ...overrides })

	it('production STS with 5-minute tokens; the sandbox (not OAuth 2.0, Itaú says) needs tokenUrl', () => {
		expect(options()).toMatchObject({ tokenUrl: 'https://sts.itau.com.br/api/oauth/token', clientAuth: 'client_secret_post', defaultLifetime: 300_000 })
		expect(() => itau({ environment: 'sandbox', clientId: CLIENT_ID, clientSecret: SECRET })).toThrowError(/does not publish its sandbox tokenUrl/)
		expect(() => itau({ environment: 'production', clientId: CLIENT_ID, clientSecret: SECRET })).toThrowError(/itau needs tls/)
	})

	it('gets a token over mutual TLS with the credentials in the form body, no scope', async () => {
		await managerFor('itau', options()).getToken()
		expect(last('itau').form).toEqual({ grant_type: 'client_credentials', client_id: CLIENT_ID, client_secret: SECRET })
		expect(last('itau').certificate?.subject).toBe('client-1')
	})

	it('accepts the dynamic certificate as PKCS#12 too', async () => {
		await managerFor('itau', options({ tls: { pfx: p12.good, passphrase: p12.passphrase, ca: certs.ca.cert } })).getToken()
		expect(last('itau').certificate?.thumbprint).toBe(thumbprintOf(certs.client.cert))
	})

	it('refused with a wrong secret: an OAuthError without the secret', async () => {
		const error = await refusal(managerFor('itau', { ...options(), clientSecret: 'wrong' }).getToken())
		expect((error as OAuthError).error).toBe('invalid_client')
	})
})

describe('santander', () => {
	const options = (overrides = {}) =>
		santander({ environment: 'homologation', clientId: CLIENT_ID, clientSecret: SECRET, tls: { pfx: p12.good, passphrase: p12.passphrase, ca: certs.ca.cert }, ...overrides })

	it('three places: portal sandbox, pre-production (trust-pix-h) and production, grant_type in the query string', () => {
		expect(options().tokenUrl).toBe('https://trust-pix-h.santander.com.br/oauth/token?grant_type=client_credentials')
		expect(options({ environment: 'production' }).tokenUrl).toBe('https://trust-pix.santander.com.br/oauth/token?grant_type=client_credentials')
		expect(santander({ environment: 'sandbox', clientId: CLIENT_ID, clientSecret: SECRET }).tokenUrl).toBe(
			'https://pix.santander.com.br/sandbox/oauth/token?grant_type=client_credentials',
		)
		expect(() => santander({ environment: 'production', clientId: CLIENT_ID, clientSecret: SECRET })).toThrowError(/santander needs tls/)
		expect(() => santander({ environment: 'staging' as never, clientId: CLIENT_ID, clientSecret: SECRET })).toThrowError(/expected santander option environment/)
	})

	it('gets a token with the .pfx: grant_type in the query, id and secret in the form body', async () => {
		await managerFor('santander', options()).getToken()
		const seen = last('santander')
		expect(seen.url.searchParams.get('grant_type')).toBe('client_credentials')
		expect(seen.form).toMatchObject({ client_id: CLIENT_ID, client_secret: SECRET })
		expect(seen.certificate?.subject).toBe('client-1')
	})

	it('refused when the query string lacks grant_type (a tokenUrl override without it)', async () => {
		const error = await refusal(createTokenManager({ ...options(), tokenUrl: `${endpoints.santander?.origin}/oauth/token`, retry: 0 }).getToken())
		expect((error as OAuthError).error).toBe('invalid_request')
	})
})

describe('bancoDoBrasil', () => {
	const options = (overrides = {}) => bancoDoBrasil({ environment: 'homologation', clientId: CLIENT_ID, clientSecret: SECRET, scope: 'cob.read pix.read', ...overrides })

	it('homologação and production hosts; sandbox is homologação', () => {
		expect(options().tokenUrl).toBe('https://oauth.hm.bb.com.br/oauth/token')
		expect(options({ environment: 'sandbox' }).tokenUrl).toBe('https://oauth.hm.bb.com.br/oauth/token')
		expect(options({ environment: 'production' }).tokenUrl).toBe('https://oauth.bb.com.br/oauth/token')
		expect(() => options({ scope: '  ' })).toThrowError(/bancoDoBrasil needs scope/)
	})

	it('gets a token with Basic base64(id:secret) as issued and grant_type and scope in the form body', async () => {
		await managerFor('bancoDoBrasil', { ...options(), tls: { ca: certs.ca.cert } }).getToken()
		const seen = last('bancoDoBrasil')
		expect(seen.headers.authorization).toBe(basic(CLIENT_ID, SECRET))
		expect(seen.form).toEqual({ grant_type: 'client_credentials', scope: 'cob.read pix.read' })
	})

	it('refused without a scope: an OAuthError without the secret', async () => {
		const { scope: _scope, ...withoutScope } = options()
		const error = await refusal(managerFor('bancoDoBrasil', { ...withoutScope, tls: { ca: certs.ca.cert } } as TokenManagerOptions).getToken())
		expect((error as OAuthError).error).toBe('invalid_scope')
	})

	it('bancoDoBrasilApi: the developer application key as a query parameter on every API call', () => {
		const decoration = bancoDoBrasilApi({ developerApplicationKey: 'app-key-1' })
		expect(decoration).toEqual({ searchParams: { 'gw-dev-app-key': 'app-key-1' }, headers: {} })
		expect(decorateUrl('https://api.hm.bb.com.br/pix/v2/cob?inicio=x', decoration).toString()).toBe('https://api.hm.bb.com.br/pix/v2/cob?inicio=x&gw-dev-app-key=app-key-1')
		expect(bancoDoBrasilApiParams({ developerApplicationKey: 'k', parameter: 'developer_application_key' })).toEqual({ developer_application_key: 'k' })
		expect(() => bancoDoBrasilApi({ developerApplicationKey: '' })).toThrowError(/developerApplicationKey/)
		expect(() => bancoDoBrasilApi({ developerApplicationKey: 'k', parameter: 'x' as never })).toThrowError(TypeError)
	})
})

describe('sicoob', () => {
	const options = (overrides = {}) => sicoob({ environment: 'production', clientId: CLIENT_ID, tls: pem(), scope: ['cob.read', 'pix.read'], ...overrides })

	it('production Keycloak realm; the sandbox (a fixed token, no endpoint) needs tokenUrl', () => {
		expect(options()).toMatchObject({ tokenUrl: 'https://auth.sicoob.com.br/auth/realms/cooperado/protocol/openid-connect/token', clientAuth: 'tls_client_auth' })
		expect(() => options({ environment: 'sandbox' })).toThrowError(/does not publish its sandbox tokenUrl/)
		expect(() => sicoob({ environment: 'production', clientId: CLIENT_ID, scope: 'cob.read' } as never)).toThrowError(/sicoob needs tls/)
	})

	it('a public client with its certificate: client_id and scope in the form body, no secret', async () => {
		await managerFor('sicoob', options()).getToken()
		const seen = last('sicoob')
		expect(seen.form).toEqual({ grant_type: 'client_credentials', client_id: CLIENT_ID, scope: 'cob.read pix.read' })
		expect(seen.headers.authorization).toBeUndefined()
		expect(seen.certificate?.subject).toBe(CLIENT_ID)
	})

	it('refused with a certificate registered for another client: an OAuthError', async () => {
		const error = await refusal(managerFor('sicoob', options({ tls: { cert: certs.client2.cert, key: certs.client2.key, ca: certs.ca.cert } })).getToken())
		expect((error as OAuthError).error).toBe('unauthorized_client')
	})

	it('sicoobApi: the client_id header on API calls', () => {
		expect(sicoobApi({ clientId: CLIENT_ID })).toEqual({ searchParams: {}, headers: { client_id: CLIENT_ID } })
	})
})

describe('efi', () => {
	const options = (overrides = {}) =>
		efi({ environment: 'homologation', clientId: CLIENT_ID, clientSecret: SECRET, tls: { pfx: p12.unencrypted, ca: certs.ca.cert }, ...overrides })

	it('pix-h and pix hosts, hour-long tokens; the certificate is required and checked now', () => {
		expect(options()).toMatchObject({ tokenUrl: 'https://pix-h.api.efipay.com.br/oauth/token', defaultLifetime: 3_600_000, clientAuth: 'client_secret_basic' })
		expect(options({ environment: 'production' }).tokenUrl).toBe('https://pix.api.efipay.com.br/oauth/token')
		expect(() => efi({ environment: 'production', clientId: CLIENT_ID, clientSecret: SECRET } as never)).toThrowError(/efi needs tls/)
		expect(() => options({ tls: { pfx: p12.expired, passphrase: p12.passphrase } })).toThrowError(/certificate expired/)
	})

	it('gets a token with the .p12: Basic id:secret as issued, {"grant_type":"client_credentials"} as JSON', async () => {
		const got = await managerFor('efi', options()).getToken()
		expect(got.tokenType).toBe('Bearer')
		const seen = last('efi')
		expect(seen.headers['content-type']).toBe('application/json')
		expect(seen.json).toEqual({ grant_type: 'client_credentials' })
		expect(seen.headers.authorization).toBe(basic(CLIENT_ID, SECRET))
		expect(seen.certificate?.thumbprint).toBe(thumbprintOf(certs.client.cert))
	})

	it('refused with a wrong secret: an OAuthError without the secret', async () => {
		const error = await refusal(managerFor('efi', options({ clientSecret: 'not-it' })).getToken())
		expect((error as OAuthError).error).toBe('invalid_client')
	})
})

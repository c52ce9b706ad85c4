import { describe, expectTypeOf, it } from 'vitest'
import type { ClientSecretOptions, PrivateKeyJwtOptions, TlsClientAuthOptions, Token, TokenManager, TokenManagerOptions } from '@tokenwarden/core'
import { createTokenManager } from '@tokenwarden/core'
import { bankly, juno } from '@tokenwarden/core/providers'

// Checked by `pnpm typecheck` (tsc over the workspace); at runtime these are no-ops.
describe('public types', () => {
	it('the options are a union on clientAuth', () => {
		expectTypeOf<{ tokenUrl: string; clientId: string; clientSecret: string }>().toExtend<TokenManagerOptions>()
		expectTypeOf<{ tokenUrl: string; clientId: string; clientAuth: 'client_secret_post'; clientSecret: string }>().toExtend<ClientSecretOptions>()
		// A secret method without a secret is not accepted.
		expectTypeOf<{ tokenUrl: string; clientId: string; clientAuth: 'client_secret_basic' }>().not.toExtend<TokenManagerOptions>()
		// private_key_jwt needs a private key and takes no secret.
		expectTypeOf<{ tokenUrl: string; clientId: string; clientAuth: 'private_key_jwt'; privateKey: string }>().toExtend<PrivateKeyJwtOptions>()
		expectTypeOf<{ tokenUrl: string; clientId: string; clientAuth: 'private_key_jwt' }>().not.toExtend<TokenManagerOptions>()
		expectTypeOf<{ tokenUrl: string; clientId: string; clientAuth: 'private_key_jwt'; privateKey: string; clientSecret: string }>().not.toExtend<TokenManagerOptions>()
		// tls_client_auth needs the certificate.
		expectTypeOf<{ tokenUrl: string; clientId: string; clientAuth: 'tls_client_auth'; tls: { cert: string; key: string } }>().toExtend<TlsClientAuthOptions>()
		expectTypeOf<{ tokenUrl: string; clientId: string; clientAuth: 'tls_client_auth' }>().not.toExtend<TokenManagerOptions>()
		expectTypeOf<{ tokenUrl: string; clientId: string; clientAuth: 'none' }>().toExtend<TokenManagerOptions>()
	})

	it('presets produce manager options', () => {
		expectTypeOf(juno).returns.toExtend<TokenManagerOptions>()
		expectTypeOf(bankly).returns.toExtend<TokenManagerOptions>()
		expectTypeOf(createTokenManager).returns.toEqualTypeOf<TokenManager>()
	})

	it('getToken resolves to a Token with the documented fields', () => {
		expectTypeOf<TokenManager['getToken']>().returns.resolves.toEqualTypeOf<Token>()
		expectTypeOf<Token['accessToken']>().toEqualTypeOf<string>()
		expectTypeOf<Token['expiresAt']>().toEqualTypeOf<number>()
		expectTypeOf<Token['scope']>().toEqualTypeOf<readonly string[]>()
		expectTypeOf<TokenManager['invalidate']>().parameter(0).toEqualTypeOf<Token | string>()
	})
})

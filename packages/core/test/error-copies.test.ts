// Two copies of the package in one process (an application that imports the ES module and requires the
// CommonJS build): `instanceof` of the error classes works across them, by the `tokenwarden.error` brand.
import nock from 'nock'
import { describe, expect, it, vi } from 'vitest'
import * as first from '@tokenwarden/core'
import { TokenWaitTimeoutError } from '@tokenwarden/core/adapter'
import { CLIENT_ID, ISSUER, TOKEN_PATH, TOKEN_URL, useNock } from './helpers.ts'

useNock()

/** A second, separate instance of the package's modules, as the other module system would load it. */
async function secondCopy() {
	vi.resetModules()
	const core = await import('@tokenwarden/core')
	const adapter = await import('@tokenwarden/core/adapter')
	expect(core.TokenWardenError).not.toBe(first.TokenWardenError)
	return { core, adapter }
}

describe('instanceof across copies of the package', () => {
	it("an error thrown by the other copy's manager is an instance of this copy's classes, and only of its own ones", async () => {
		const { core } = await secondCopy()
		nock(ISSUER).post(TOKEN_PATH).reply(401, { error: 'invalid_client' })
		const tokens = core.createTokenManager({ tokenUrl: TOKEN_URL, clientId: CLIENT_ID, clientSecret: 'wrong', retry: { limit: 0 } })
		const error = await tokens.getToken().then(
			() => undefined,
			(failure: unknown) => failure,
		)
		expect(error).toBeInstanceOf(core.OAuthError)
		expect(error instanceof first.OAuthError).toBe(true)
		expect(error instanceof first.TokenWardenError).toBe(true)
		expect(error instanceof Error).toBe(true)
		expect(error instanceof first.TokenEndpointError).toBe(false)
		expect(error instanceof first.ConsentRequiredError).toBe(false)
	})

	it("subclasses outside errors.ts (the adapter's TokenWaitTimeoutError) are recognised both ways", async () => {
		const { core, adapter } = await secondCopy()
		const other = new adapter.TokenWaitTimeoutError(100)
		expect(other instanceof TokenWaitTimeoutError).toBe(true)
		expect(other instanceof first.TokenWardenError).toBe(true)
		expect(other instanceof first.OAuthError).toBe(false)
		const ours = new first.StoreFullError(3)
		expect(ours instanceof core.StoreFullError).toBe(true)
		expect(ours instanceof core.TokenWardenError).toBe(true)
		expect(ours instanceof core.AbortError).toBe(false)
	})

	it('an unbranded error that only shares a class name is not an instance', () => {
		class OAuthError extends Error {}
		expect(new OAuthError('lookalike') instanceof first.OAuthError).toBe(false)
		expect(new OAuthError('lookalike') instanceof first.TokenWardenError).toBe(false)
		expect({ name: 'OAuthError' } instanceof first.OAuthError).toBe(false)
		expect((null as unknown) instanceof first.TokenWardenError).toBe(false)
	})
})

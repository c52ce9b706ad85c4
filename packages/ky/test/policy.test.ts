// The one 401 policy of @tokenwarden/core/adapter, through the ky adapter (issue 13), on ky 2 and ky 1.
import kyOne, { HTTPError as HTTPErrorOne } from 'ky-1'
import type { KyInstance } from 'ky'
import { describe, test } from 'vitest'
import { withTokens } from '@tokenwarden/ky'
import { type AdapterDriver, API, cooldownScenarios, policyScenarios, useNock } from '../../../test-support/adapters.ts'
import { driver } from './driver.ts'

useNock()

/** The same scenarios on ky 1 (`prefixUrl`; inputs without a leading slash). */
const kyOneDriver: AdapterDriver<KyInstance> = {
	create: (tokens, options, base = API) => withTokens(kyOne.create({ prefixUrl: base }) as never, tokens, options),
	get: async (client, url, token) => (await client.get(url.replace(/^\//, ''), token === undefined ? {} : { context: { tokenwarden: token } })).status,
	post: async (client, url, body) => (await client.post(url.replace(/^\//, ''), { body: body as BodyInit })).status,
	HttpError: HTTPErrorOne as never,
}

describe.each([
	['ky 2', driver],
	['ky 1', kyOneDriver],
])('the 401 policy, %s', (_name, adapterDriver) => {
	test('insufficient_scope (RFC 6750 §3.1) reaches the caller: no invalidate, no retry', () => policyScenarios.insufficientScopeReachesCaller(adapterDriver))

	test('a real server that rejects the first token once: one retry, then the fresh token', () => policyScenarios.rejectedOnceRecovers(adapterDriver))

	test('a redirect to another origin that answers 401 is not a stale token: no invalidate, no retry', () =>
		policyScenarios.unauthorizedAfterRedirectElsewhereReachesCaller(adapterDriver))

	test('isTokenRejected decides which responses reject the token', () => policyScenarios.customClassifierDecides(adapterDriver))

	test('a path that rejects every token leaves the other scopes of the manager alone', () => policyScenarios.otherKeysUnaffected(adapterDriver))
})

describe('an API that rejects every token (the manager keeps a just-issued token through a cooldown)', () => {
	test('100 concurrent calls to an always-401 API cause at most 2 token requests, and each call gets its 401', () => cooldownScenarios.alwaysRejectingConcurrent(driver))

	test('1,000 sequential calls over a minute cause at most 6 token requests', () => cooldownScenarios.alwaysRejectingSequential(driver), 60_000)

	test('the fresh token is kept through the cooldown: the next call gets its 401 without a token request', () => cooldownScenarios.freshTokenKeptThroughCooldown(driver))
})

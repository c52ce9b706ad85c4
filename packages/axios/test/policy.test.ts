// The one 401 policy of @tokenwarden/core/adapter, through the axios adapter (issue 13).
import axios, { type AxiosInstance } from 'axios'
import { describe, test } from 'vitest'
import { withTokens } from '@tokenwarden/axios'
import { type AdapterDriver, API, cooldownScenarios, policyScenarios, useNock } from '../../../test-support/adapters.ts'
import { driver } from './driver.ts'

useNock()

/** The same client on axios' fetch adapter. */
const fetchDriver: AdapterDriver<AxiosInstance> = {
	...driver,
	create: (tokens, options, base = API) => withTokens(axios.create({ baseURL: base, adapter: 'fetch' }), tokens, options),
}

describe.each([
	['http adapter', driver],
	['fetch adapter', fetchDriver],
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

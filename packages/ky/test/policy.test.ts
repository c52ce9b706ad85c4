// The one 401 policy of @tokenwarden/core/adapter, through the ky adapter (issue 13), on ky 2 and ky 1.
import kyOne, { HTTPError as HTTPErrorOne } from 'ky-1'
import type { KyInstance } from 'ky'
import { withTokens } from '@tokenwarden/ky'
import { type AdapterDriver, API, cooldownTests, policyTests, useNock } from '../../../test-support/adapters.ts'
import { driver } from './driver.ts'

useNock()

/** The same scenarios on ky 1 (`prefixUrl`; inputs without a leading slash). */
const kyOneDriver: AdapterDriver<KyInstance> = {
	create: (tokens, options, base = API) => withTokens(kyOne.create({ prefixUrl: base }) as never, tokens, options),
	get: async (client, url, token) => (await client.get(url.replace(/^\//, ''), token === undefined ? {} : { context: { tokenwarden: token } })).status,
	post: async (client, url, body) => (await client.post(url.replace(/^\//, ''), { body: body as BodyInit })).status,
	HttpError: HTTPErrorOne as never,
}

policyTests([
	['ky 2', driver],
	['ky 1', kyOneDriver],
])

cooldownTests(driver)

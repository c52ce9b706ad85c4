// The one 401 policy of @tokenwarden/core/adapter, through the axios adapter (issue 13).
import axios, { type AxiosInstance } from 'axios'
import { withTokens } from '@tokenwarden/axios'
import { type AdapterDriver, API, cooldownTests, policyTests, useNock } from '../../../test-support/adapters.ts'
import { driver } from './driver.ts'

useNock()

/** The same client on axios' fetch adapter. */
const fetchDriver: AdapterDriver<AxiosInstance> = {
	...driver,
	create: (tokens, options, base = API) => withTokens(axios.create({ baseURL: base, adapter: 'fetch' }), tokens, options),
}

policyTests([
	['http adapter', driver],
	['fetch adapter', fetchDriver],
])

cooldownTests(driver)

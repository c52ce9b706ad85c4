import axios, { AxiosError, type AxiosInstance } from 'axios'
import { withTokens } from '@tokenwarden/axios'
import { type AdapterDriver, API } from '../../../test-support/adapters.ts'

/** The axios adapter as the shared scenarios drive it: the per-request choice is the `tokenwarden` option. */
export const driver: AdapterDriver<AxiosInstance> = {
	create: (tokens, options, base = API) => withTokens(axios.create({ baseURL: base }), tokens, options),
	get: async (client, url, token, headers) =>
		(await client.get(url, { ...(token === undefined ? {} : { tokenwarden: token }), ...(headers === undefined ? {} : { headers }) })).status,
	post: async (client, url, body) => (await client.post(url, body)).status,
	HttpError: AxiosError,
}

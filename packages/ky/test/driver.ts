import ky, { HTTPError, type KyInstance } from 'ky'
import { withTokens } from '@tokenwarden/ky'
import { type AdapterDriver, API } from '../../../test-support/adapters.ts'

/** The ky adapter as the shared scenarios drive it: the per-request choice is `context.tokenwarden`. */
export const driver: AdapterDriver<KyInstance> = {
	create: (tokens, options, base = API) => withTokens(ky.create({ baseUrl: base }), tokens, options),
	get: async (client, url, token, headers) =>
		(await client.get(url, { ...(token === undefined ? {} : { context: { tokenwarden: token } }), ...(headers === undefined ? {} : { headers }) })).status,
	post: async (client, url, body) => (await client.post(url, { body: body as BodyInit })).status,
	HttpError: HTTPError,
}

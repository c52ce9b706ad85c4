// Starts the imitation servers and builds, for each provider, what an application would: a token
// manager from the provider preset (pointed at the local server), and an axios and a ky client with
// the tokenwarden adapter installed.
import { withTokens as withAxiosTokens } from '@tokenwarden/axios'
import { createTokenManager, type TokenManagerOptions } from '@tokenwarden/core'
import { bankly, bs2, bs2Banking, juno } from '@tokenwarden/core/providers'
import { withTokens as withKyTokens } from '@tokenwarden/ky'
import axios from 'axios'
import ky from 'ky'
import { credentials, holder, managerTimings, servers } from './config.ts'
import { type ApiServer, CALLBACK_PATH, REQUEST_ID_HEADER, startApi } from './servers/api.ts'
import { type Bs2BankingServer, startBs2Banking } from './servers/bs2-banking.ts'
import { startBankly } from './servers/bankly.ts'
import { type Bs2Server, startBs2 } from './servers/bs2.ts'
import { type JunoServer, startJuno } from './servers/juno.ts'
import { TokenRegistry } from './servers/registry.ts'
import type { AuthServer } from './servers/token-endpoint.ts'
import { type ProviderTour, type Send, type TokenChoice, Traffic, watchWaits } from './tour/traffic.ts'

export interface Demo {
	api: ApiServer
	juno: JunoServer
	bankly: AuthServer
	bs2: Bs2Server
	bs2Banking: Bs2BankingServer
	tours: { juno: ProviderTour; bankly: ProviderTour; bs2: ProviderTour; bs2Banking: ProviderTour }
	/** Stops every server; safe to call more than once. */
	close(): Promise<void>
}

/** Scopes the demo clients are allowed by the imitations. */
const BANKLY_SCOPES = ['boleto.read', 'boleto.write', 'kyc.document.read', 'kyc.document.write', 'business.read'] as const
const BS2_SCOPES = ['cob.read', 'cob.write', 'pix.read', 'pix.write', 'webhook.read'] as const
const BS2_BANKING_SCOPES = ['saldo.read', 'extrato.read'] as const

export async function startDemo(): Promise<Demo> {
	const registry = new TokenRegistry()
	const started: Array<{ close(): Promise<void> }> = []
	const track = <T extends { close(): Promise<void> }>(server: T): T => {
		started.push(server)
		return server
	}
	let closing: Promise<void> | undefined
	const close = () => (closing ??= Promise.all(started.map((server) => server.close())).then(() => {}))

	try {
		const api = track(await startApi(registry))
		const redirectUri = api.origin + CALLBACK_PATH
		const junoServer = track(await startJuno({ ...credentials.juno, registry, ...servers.juno }))
		const banklyServer = track(await startBankly({ ...credentials.bankly, registry, allowedScopes: BANKLY_SCOPES, ...servers.bankly }))
		const bs2Server = track(await startBs2({ ...credentials.bs2, registry, allowedScopes: BS2_SCOPES, ...servers.bs2 }))
		const bs2BankingServer = track(
			await startBs2Banking({ ...credentials.bs2Banking, registry, allowedScopes: BS2_BANKING_SCOPES, redirectUris: [redirectUri], holder, ...servers.bs2Banking }),
		)

		const tours = {
			juno: tour('juno', junoServer, api, '/juno/charges', {
				...juno({ environment: 'sandbox', ...credentials.juno, tokenUrl: junoServer.tokenUrl }),
				...managerTimings.juno,
			}),
			bankly: tour('bankly', banklyServer, api, '/bankly/boletos', {
				...bankly({ environment: 'sandbox', ...credentials.bankly, scope: 'boleto.read boleto.write', tokenUrl: banklyServer.tokenUrl }),
				...managerTimings.bankly,
			}),
			bs2: tour('bs2', bs2Server, api, '/bs2/cob', {
				...bs2({ environment: 'homologation', ...credentials.bs2, scope: ['cob.read', 'cob.write'], tokenUrl: bs2Server.tokenUrl }),
				...managerTimings.bs2,
			}),
			bs2Banking: tour(
				'bs2Banking',
				bs2BankingServer,
				api,
				'/bs2-banking/saldo',
				{
					...bs2Banking({
						environment: 'homologation',
						...credentials.bs2Banking,
						scope: 'saldo.read',
						redirectUri,
						tokenUrl: bs2BankingServer.tokenUrl,
						authorizeUrl: bs2BankingServer.authorizeUrl,
					}),
					...managerTimings.bs2Banking,
				},
				{ subject: holder.subject },
			),
		}
		return { api, juno: junoServer, bankly: banklyServer, bs2: bs2Server, bs2Banking: bs2BankingServer, tours, close }
	} catch (error) {
		await close()
		throw error
	}
}

/** A provider as an application sets it up: one manager, and an axios and a ky client sharing it. */
function tour(name: string, server: AuthServer, api: ApiServer, path: string, options: TokenManagerOptions, choice?: TokenChoice): ProviderTour {
	const events: ProviderTour['events'] = []
	const manager = createTokenManager({ ...options, onEvent: (event) => events.push(event) })
	// The adapters get the manager through a thin wrapper that counts callers who waited for a token.
	const watched = watchWaits(manager)

	const axiosClient = withAxiosTokens(axios.create({ baseURL: api.origin }), watched.source, { ...choice })
	const kyClient = withKyTokens(ky.create({ baseUrl: api.origin }), watched.source, { ...choice })
	const viaAxios: Send = async (resource, requestId, override) => {
		await axiosClient.get(resource, { headers: { [REQUEST_ID_HEADER]: requestId }, ...(override ? { tokenwarden: override } : {}) })
	}
	const viaKy: Send = async (resource, requestId, override) => {
		await kyClient.get(resource, { headers: { [REQUEST_ID_HEADER]: requestId }, context: override ? { tokenwarden: override } : {} }).text()
	}

	return {
		name,
		manager,
		server,
		api,
		path,
		choice,
		clients: { axios: viaAxios, ky: viaKy },
		traffic: new Traffic(name),
		events,
		waits: watched.waits,
	}
}

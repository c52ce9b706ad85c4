// Starts the imitation servers and builds, for each provider, what an application would: a token
// manager from the provider preset (pointed at the local server), and an axios and a ky client with
// the tokenwarden adapter installed.
import { withTokens as withAxiosTokens } from '@tokenwarden/axios'
import { createTokenManager, type TokenManagerOptions } from '@tokenwarden/core'
import {
	type ApiRequestDecoration,
	bancoDoBrasil,
	bancoDoBrasilApi,
	bankly,
	bs2,
	bs2Banking,
	efi,
	inter,
	itau,
	juno,
	santander,
	sicoob,
	sicoobApi,
} from '@tokenwarden/core/providers'
import { withTokens as withKyTokens } from '@tokenwarden/ky'
import axios from 'axios'
import ky from 'ky'
import { credentials, holder, managerTimings, servers } from './config.ts'
import { type ApiServer, CALLBACK_PATH, PIX_API_REQUIREMENTS, REQUEST_ID_HEADER, startApi } from './servers/api.ts'
import { demoCertificates } from './servers/certificates.ts'
import { type PixProvider, startPixProvider } from './servers/pix.ts'
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
	tours: { juno: ProviderTour; bankly: ProviderTour; bs2: ProviderTour; bs2Banking: ProviderTour } & Record<PixProvider, ProviderTour>
	/** The Pix providers' token servers (HTTPS). */
	pix: Record<PixProvider, AuthServer>
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

		// One client certificate for the Pix providers that require mutual TLS, PEM and PKCS#12.
		const certificates = demoCertificates(credentials.sicoob.clientId)
		const pem = { cert: certificates.client.cert, key: certificates.client.key, ca: certificates.ca }
		const pfx = { pfx: certificates.clientPfx, passphrase: certificates.passphrase, ca: certificates.ca }
		const pixServer = (provider: PixProvider) => startPixProvider({ provider, ...credentials[provider], registry, certificates }).then(track)
		const [interServer, itauServer, santanderServer, bbServer, sicoobServer, efiServer] = await Promise.all(
			(['inter', 'itau', 'santander', 'bancoDoBrasil', 'sicoob', 'efi'] as const).map(pixServer),
		)
		const pix = { inter: interServer, itau: itauServer, santander: santanderServer, bancoDoBrasil: bbServer, sicoob: sicoobServer, efi: efiServer } as Record<
			PixProvider,
			AuthServer
		>
		/** The preset's documented token URL moved to the local imitation: same path and query. */
		const at = (server: AuthServer, documented: TokenManagerOptions) => {
			const url = new URL(documented.tokenUrl)
			return { ...documented, tokenUrl: server.origin + url.pathname + url.search }
		}

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
			inter: tour('inter', pix.inter, api, '/inter/cobv', at(pix.inter, inter({ environment: 'sandbox', ...credentials.inter, scope: 'cobv.read cobv.write', tls: pem }))),
			itau: tour('itau', pix.itau, api, '/itau/cob', at(pix.itau, itau({ environment: 'production', ...credentials.itau, tls: pfx }))),
			santander: tour('santander', pix.santander, api, '/santander/cob', at(pix.santander, santander({ environment: 'homologation', ...credentials.santander, tls: pfx }))),
			bancoDoBrasil: tour(
				'bancoDoBrasil',
				pix.bancoDoBrasil,
				api,
				'/bb/cob',
				at(pix.bancoDoBrasil, bancoDoBrasil({ environment: 'homologation', ...credentials.bancoDoBrasil, scope: 'cob.read cob.write', tls: { ca: certificates.ca } })),
				undefined,
				bancoDoBrasilApi({ developerApplicationKey: PIX_API_REQUIREMENTS.bancoDoBrasilAppKey }),
			),
			sicoob: tour(
				'sicoob',
				pix.sicoob,
				api,
				'/sicoob/cob',
				at(pix.sicoob, sicoob({ environment: 'production', ...credentials.sicoob, scope: ['cob.read', 'pix.read'], tls: pem })),
				undefined,
				sicoobApi({ clientId: PIX_API_REQUIREMENTS.sicoobClientId }),
			),
			efi: tour('efi', pix.efi, api, '/efi/cob', at(pix.efi, efi({ environment: 'homologation', ...credentials.efi, tls: pfx }))),
		}
		return { api, juno: junoServer, bankly: banklyServer, bs2: bs2Server, bs2Banking: bs2BankingServer, pix, tours, close }
	} catch (error) {
		await close()
		throw error
	}
}

/** A provider as an application sets it up: one manager, and an axios and a ky client sharing it. */
function tour(name: string, server: AuthServer, api: ApiServer, path: string, options: TokenManagerOptions, choice?: TokenChoice, decoration?: ApiRequestDecoration): ProviderTour {
	const events: ProviderTour['events'] = []
	const manager = createTokenManager({ ...options, onEvent: (event) => events.push(event) })
	// The adapters get the manager through a thin wrapper that counts callers who waited for a token.
	const watched = watchWaits(manager)

	// What the provider's API needs besides the token (BB's app key, Sicoob's client_id), from the preset's helper.
	const extra = { params: { ...decoration?.searchParams }, headers: { ...decoration?.headers } }
	const axiosClient = withAxiosTokens(axios.create({ baseURL: api.origin, ...extra }), watched.source, { ...choice })
	const kyClient = withKyTokens(ky.create({ baseUrl: api.origin, searchParams: extra.params, headers: extra.headers }), watched.source, { ...choice })
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

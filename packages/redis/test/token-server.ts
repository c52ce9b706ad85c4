import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

/** One request the token server saw. */
export interface SeenRequest {
	form: Record<string, string>
	/** `x-worker` header: which test process sent it. */
	worker: string | undefined
	/** Answered yet (false while held). */
	answered: boolean
}

export interface TokenServerOptions {
	/** `expires_in` of every token, in seconds. Default 3600. */
	lifetime?: number
	/**
	 * A refresh token used a second time revokes its whole family (every token rotated from the same
	 * authorization code), as RFC 9700 §4.14.2 recommends: the consent is lost and the holder must consent again.
	 */
	revokeFamilyOnReuse?: boolean
}

/**
 * A local OAuth token endpoint on 127.0.0.1 (node:http, no mocking): client credentials, authorization
 * code and refresh tokens that rotate on every refresh, where a reused refresh token gets invalid_grant
 * (as providers with rotation do, RFC 9700 §4.14.2). It can hold requests unanswered, to stand for a
 * slow provider while a test kills the process that is waiting.
 */
export async function startTokenServer(options: TokenServerOptions = {}) {
	const lifetime = options.lifetime ?? 3600
	const seen: SeenRequest[] = []
	const validRefreshTokens = new Set<string>()
	/** Refresh token -> its family (the authorization code it descends from); spent ones stay here. */
	const familyOf = new Map<string, string>()
	const revokedFamilies = new Set<string>()
	let issued = 0
	let invalidGrants = 0
	let holding = false
	const held: Array<{ request: SeenRequest; answer: () => void }> = []
	const heldWaiters: Array<(request: SeenRequest) => void> = []

	function tokenResponse(form: Record<string, string>): [number, Record<string, unknown>] {
		const number = ++issued
		switch (form.grant_type) {
			case 'client_credentials':
				return [200, { access_token: `cc-${number}`, token_type: 'bearer', expires_in: lifetime, scope: form.scope }]
			case 'authorization_code': {
				const refreshToken = `rt-${number}`
				validRefreshTokens.add(refreshToken)
				familyOf.set(refreshToken, form.code ?? '')
				return [200, { access_token: `ac-${number}`, token_type: 'Bearer', expires_in: lifetime, refresh_token: refreshToken }]
			}
			case 'refresh_token': {
				const presented = form.refresh_token ?? ''
				const family = familyOf.get(presented)
				if (!validRefreshTokens.delete(presented)) {
					invalidGrants++
					if (options.revokeFamilyOnReuse && family !== undefined) revoke(family)
					return [400, { error: 'invalid_grant', error_description: 'refresh token reused or unknown' }]
				}
				const refreshToken = `rt-${number}`
				validRefreshTokens.add(refreshToken)
				if (family !== undefined) familyOf.set(refreshToken, family)
				return [200, { access_token: `ar-${number}`, token_type: 'Bearer', expires_in: lifetime, refresh_token: refreshToken }]
			}
			default:
				return [400, { error: 'unsupported_grant_type' }]
		}
	}

	function revoke(family: string): void {
		revokedFamilies.add(family)
		for (const [token, of] of familyOf) if (of === family) validRefreshTokens.delete(token)
	}

	const server = createServer((request: IncomingMessage, response: ServerResponse) => {
		let body = ''
		request.setEncoding('utf8')
		request.on('data', (chunk: string) => (body += chunk))
		request.on('end', () => {
			const form = Object.fromEntries(new URLSearchParams(body))
			const worker = request.headers['x-worker']
			const entry: SeenRequest = { form, worker: typeof worker === 'string' ? worker : undefined, answered: false }
			seen.push(entry)
			const answer = () => {
				if (response.destroyed) return
				const [status, json] = tokenResponse(form)
				entry.answered = true
				response.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' })
				response.end(JSON.stringify(json))
			}
			if (holding) {
				held.push({ request: entry, answer })
				for (const waiter of heldWaiters.splice(0)) waiter(entry)
				return
			}
			answer()
		})
	})
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
	const { port } = server.address() as AddressInfo

	return {
		url: `http://127.0.0.1:${port}/oauth/token`,
		seen,
		/** Token requests of one grant type (or all). */
		count: (grantType?: string) => seen.filter((request) => grantType === undefined || request.form.grant_type === grantType).length,
		invalidGrants: () => invalidGrants,
		/** Families (authorization codes) revoked because a refresh token of theirs was used twice. */
		revokedFamilies: () => [...revokedFamilies],
		/** Whether this refresh token would be accepted now. */
		isValid: (refreshToken: string | undefined) => refreshToken !== undefined && validRefreshTokens.has(refreshToken),
		/** Whether the family of this authorization code still has a valid refresh token. */
		familyValid: (code: string) => [...validRefreshTokens].some((token) => familyOf.get(token) === code),
		/** Rotates a refresh token as if another client had refreshed with it: the old one is spent, the new one returned. */
		rotateOutOfBand(refreshToken: string): string {
			if (!validRefreshTokens.delete(refreshToken)) throw new Error('not a valid refresh token')
			const next = `rt-${++issued}`
			validRefreshTokens.add(next)
			familyOf.set(next, familyOf.get(refreshToken) ?? '')
			return next
		},
		/** Holds every request from now on unanswered, until `answerHeld`. */
		hold() {
			holding = true
		},
		/** The first request held (now or later). */
		nextHeld(): Promise<SeenRequest> {
			const first = held[0]
			if (first) return Promise.resolve(first.request)
			return new Promise((resolve) => heldWaiters.push(resolve))
		},
		/** Stops holding and answers what was held (requests whose sender died are dropped). */
		answerHeld() {
			holding = false
			for (const { answer } of held.splice(0)) answer()
		},
		close(): Promise<void> {
			server.closeAllConnections()
			return new Promise((resolve) => server.close(() => resolve()))
		},
	}
}

export type TokenServer = Awaited<ReturnType<typeof startTokenServer>>

import { TokenEndpointError } from './errors.js'
import { maskAll, type TokenEndpointContext } from './token-endpoint.js'

/**
 * Token revocation ([RFC 7009 §2.1](https://www.rfc-editor.org/rfc/rfc7009#section-2.1)): POST `token` and
 * `token_type_hint` with the client's authentication. 200 means revoked, or unknown to the server (§2.2).
 * Not retried: a revocation that failed leaves a token that expires by itself, and the caller decides.
 */
export async function revokeToken(context: TokenEndpointContext, url: string, token: string, hint: 'refresh_token' | 'access_token'): Promise<void> {
	const body = new URLSearchParams({ token, token_type_hint: hint })
	const headers = new Headers({ 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' })
	await context.authenticate(body, headers)
	const controller = new AbortController()
	const timer = context.clock.setTimeout(() => controller.abort(), context.timeout)
	try {
		const response = await context.fetch(url, { method: 'POST', headers, body, signal: controller.signal, redirect: 'manual' })
		await response.body?.cancel().catch(() => {})
		if (response.status !== 200) {
			throw new TokenEndpointError(`Revocation endpoint answered HTTP ${response.status}`, { status: response.status, attempts: 1 })
		}
	} catch (error) {
		if (error instanceof TokenEndpointError) throw error
		throw new TokenEndpointError(controller.signal.aborted ? `Revocation request timed out after ${context.timeout} ms` : 'Revocation request failed', {
			attempts: 1,
			cause: new Error(context.redact(maskAll(String((error as Error)?.message), [token]))),
		})
	} finally {
		context.clock.clearTimeout(timer)
	}
}

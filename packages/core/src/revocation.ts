import { readCappedText } from './body-reader.js'
import { TokenEndpointError } from './errors.js'
import { safeCause } from './redaction.js'
import type { TokenEndpointContext } from './token-endpoint.js'
import { oauthErrorFrom } from './token-response.js'

/**
 * Token revocation ([RFC 7009 §2.1](https://www.rfc-editor.org/rfc/rfc7009#section-2.1)): POST `token` and
 * `token_type_hint` with the client's authentication. 200 means revoked, or unknown to the server (§2.2).
 * Not retried: a revocation that failed leaves a token that expires by itself, and the caller decides.
 * An error body is read up to `maxResponseBytes` and its OAuth error ([§2.2.1](https://www.rfc-editor.org/rfc/rfc7009#section-2.2.1)) kept as the cause, masked.
 */
export async function revokeToken(context: TokenEndpointContext, url: string, token: string, hint: 'refresh_token' | 'access_token'): Promise<void> {
	const body = new URLSearchParams({ token, token_type_hint: hint })
	const headers = new Headers({ 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' })
	await context.authenticate(body, headers)
	const redact = context.redact.with([token, body.get('client_assertion') ?? '', headers.get('authorization')?.replace(/^\S+\s+/, '') ?? ''])
	const controller = new AbortController()
	const timer = context.clock.setTimeout(() => controller.abort(), context.timeout)
	try {
		const response = await context.fetch(url, { method: 'POST', headers, body, signal: controller.signal, redirect: 'manual' })
		if (response.status === 200) {
			await response.body?.cancel().catch(() => {})
			return
		}
		const text = await readCappedText(response, { maxBytes: context.maxResponseBytes, attempt: 1, redact, endpoint: 'Revocation endpoint' })
		const oauthError = oauthErrorFrom(parseObject(text), response.status, redact)
		throw new TokenEndpointError(`Revocation endpoint answered HTTP ${response.status}${oauthError ? ` (${oauthError.error})` : ''}`, {
			status: response.status,
			attempts: 1,
			cause: oauthError,
		})
	} catch (error) {
		if (error instanceof TokenEndpointError && !controller.signal.aborted) throw error
		throw new TokenEndpointError(controller.signal.aborted ? `Revocation request timed out after ${context.timeout} ms` : 'Revocation request failed', {
			attempts: 1,
			cause: controller.signal.aborted ? undefined : error instanceof TokenEndpointError ? error : safeCause(error, redact),
		})
	} finally {
		context.clock.clearTimeout(timer)
	}
}

function parseObject(text: string): Record<string, unknown> {
	try {
		const parsed: unknown = JSON.parse(text)
		return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : {}
	} catch {
		return {}
	}
}

import { TokenWardenError } from '@tokenwarden/core'
import { type Flags, flag, list, required, text, UsageError } from '../args.js'
import { type Context, openSession } from '../context.js'
import { EXIT } from '../explain-error.js'
import { duration, localTime, Report } from '../format.js'
import { masked } from '../mask.js'
import { checkProbeUrl } from '../probe.js'
import { renderProbes, runProbes } from '../probe-report.js'
import { renderToken, tokenView } from '../token-view.js'

/** The provider redirected back with an error instead of a code ([RFC 6749 §4.1.2.1](https://www.rfc-editor.org/rfc/rfc6749#section-4.1.2.1)). */
export class ConsentDeniedError extends TokenWardenError {
	override readonly code = 'CONSENT_DENIED'
	/** The `error` of the redirect, for example `access_denied`. */
	readonly error: string
	constructor(error: string, description: string | undefined) {
		super(`The provider redirected with error ${error}${description ? `: ${description}` : ''}`)
		this.error = error
	}
}

/**
 * `tokenwarden exchange`: finishes the consent that `authorize` started ([RFC 6749 §4.1.3](https://www.rfc-editor.org/rfc/rfc6749#section-4.1.3))
 * from what the redirect brought back (`--code`, or the whole `--callback-url`) and what `authorize`
 * printed (`--state`, `--verifier`); shows the holder's tokens masked and when the consent lapses.
 */
export async function exchangeCommand(flags: Flags, context: Context): Promise<number> {
	const { io, term, secrets } = context
	const expectedState = required(flags, 'state', '(the state authorize printed)')
	const callback = readCallback(flags, expectedState)
	secrets.add(callback.code)
	const probes = list(flags, 'probe').map(checkProbeUrl)
	const subject = text(flags, 'subject') ?? 'cli'
	const showToken = flag(flags, 'show-token')
	const session = await openSession(flags, context)
	const verifier = text(flags, 'verifier')
	const token = await session.tokens.exchangeCode({
		code: callback.code,
		state: callback.state,
		expectedState,
		subject,
		...(verifier === undefined ? {} : { codeVerifier: verifier }),
	})
	if (!showToken) secrets.add(token.accessToken)
	const consent = await session.tokens.consent({ subject })
	const refreshToken = session.observer.observation.refreshToken
	const view = tokenView(token, session.connection.requestedScope, session.observer.observation, io.now(), showToken)
	const results = await runProbes(probes, token, session, view.jwt, io.now, (text) => secrets.scrub(text))
	const exit = results.every((result) => result.ok) ? EXIT.ok : EXIT.probe
	const lapse = consent?.refreshExpiresAt
	const consentView = {
		scope: consent ? [...consent.scope] : [],
		expiresAt: lapse === undefined ? null : new Date(lapse).toISOString(),
		expiresIn: lapse === undefined ? null : Math.floor((lapse - io.now()) / 1000),
	}
	if (flag(flags, 'json')) {
		const json = { ok: exit === EXIT.ok, command: 'exchange', subject, ...view, refreshToken: refreshToken ? masked(refreshToken) : null, consent: consentView, probes: results }
		term.out(`${JSON.stringify(json, null, 2)}\n`)
		return exit
	}
	const report = new Report(term.paint)
	report.heading(`Consent exchanged for subject "${subject}"`)
	report.field('token url', session.connection.options.tokenUrl)
	report.field('client auth', session.connection.clientAuth)
	renderToken(report, view, showToken)
	report.field('refresh token', refreshToken ? `${masked(refreshToken)}, never printed` : 'none: consent again when the access token expires', refreshToken ? 'dim' : 'warn')
	if (lapse !== undefined) {
		const left = (lapse - io.now()) / 1000
		report.field('consent', `lapses ${localTime(lapse)}, in ${duration(left)}`, 'good')
	} else if (refreshToken) {
		report.field('consent', 'lapse unknown: the provider sent no refresh_expires_in and the preset sets no lifetime', 'warn')
	}
	if (consent) report.field('consented', consent.scope.length > 0 ? consent.scope.join(' ') : '(no scope recorded)')
	renderProbes(report, results)
	term.out(report.toString())
	return exit
}

/** The code and state: from `--callback-url` (the whole redirect), or `--code` with the state authorize printed. */
function readCallback(flags: Flags, expectedState: string): { code: string; state: string } {
	const url = text(flags, 'callback-url')
	if (url === undefined) return { code: required(flags, 'code', '(from the redirect), or give the whole --callback-url'), state: expectedState }
	if (text(flags, 'code') !== undefined) throw new UsageError('give --code or --callback-url, not both')
	let params: URLSearchParams
	try {
		params = new URL(url).searchParams
	} catch {
		throw new UsageError('--callback-url is not a URL (paste the whole address the provider redirected to)')
	}
	const error = params.get('error')
	if (error) throw new ConsentDeniedError(error, params.get('error_description') ?? undefined)
	const code = params.get('code')
	if (!code) throw new UsageError('--callback-url has no code parameter')
	return { code, state: params.get('state') ?? '' }
}

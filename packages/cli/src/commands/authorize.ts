import { type Flags, flag, text, UsageError } from '../args.js'
import { type Context, openSession } from '../context.js'
import { EXIT } from '../explain-error.js'
import { Report, WIDTH } from '../format.js'

/** Options repeated in the suggested `exchange` command: the connection, never a secret (those come from the environment or files). */
const CARRIED = [
	'preset',
	'environment',
	'token-url',
	'client-auth',
	'client-id',
	'client-secret-file',
	'scope',
	'redirect-uri',
	'cert',
	'key',
	'ca',
	'passphrase-env',
	'private-key',
	'key-id',
	'algorithm',
]

/**
 * `tokenwarden authorize`: the consent URL for an account holder ([RFC 6749 §4.1.1](https://www.rfc-editor.org/rfc/rfc6749#section-4.1.1)),
 * with its state and PKCE verifier ([RFC 7636](https://www.rfc-editor.org/rfc/rfc7636)). Nothing is kept:
 * `exchange` is given the state and verifier back.
 */
export async function authorizeCommand(flags: Flags, context: Context): Promise<number> {
	const session = await openSession(flags, context)
	const { options } = session.connection
	if (!options.authorizeUrl) throw new UsageError('no authorization endpoint', 'pass --authorize-url <url>, or use a consent preset such as bs2Banking')
	if (!options.redirectUri) throw new UsageError('--redirect-uri is required', 'the URL registered with the provider for this client')
	const request = await session.tokens.authorizationUrl({ pkce: flags.pkce !== false })
	const scope = session.connection.requestedScope
	if (flag(flags, 'json')) {
		const json = { ok: true, command: 'authorize', url: request.url, state: request.state, codeVerifier: request.codeVerifier ?? null, redirectUri: options.redirectUri, scope }
		context.term.out(`${JSON.stringify(json, null, 2)}\n`)
		return EXIT.ok
	}
	const report = new Report(context.term.paint)
	report.heading(`Consent${session.connection.preset ? ` with ${session.connection.preset} (${session.connection.environment})` : ''}`)
	report.text('Open this URL as the account holder and consent; the provider then redirects to the redirect URI with ?code=...&state=...')
	report.verbatim('')
	report.verbatim(request.url)
	report.verbatim('')
	report.field('state', request.state)
	if (request.codeVerifier) report.field('verifier', request.codeVerifier)
	report.field('redirect uri', options.redirectUri)
	report.field('scope', scope.length > 0 ? scope.join(' ') : '(none: the provider decides)')
	report.heading('Then finish it with the code from the redirect:')
	for (const line of exchangeCommand(flags, request.state, request.codeVerifier)) report.verbatim(line)
	context.term.out(report.toString())
	return EXIT.ok
}

/** The `exchange` command line to run next, broken with backslashes to fit {@link WIDTH} columns. */
function exchangeCommand(flags: Flags, state: string, verifier: string | undefined): string[] {
	const words = ['tokenwarden exchange']
	for (const name of CARRIED) {
		const value = text(flags, name)
		if (value !== undefined) words.push(`--${name} ${shellQuote(value)}`)
	}
	// `=` keeps a random value that starts with '-' (base64url) from reading as an option.
	words.push(`--state=${shellQuote(state)}`)
	if (verifier) words.push(`--verifier=${shellQuote(verifier)}`)
	words.push('--code=<code>')
	const lines: string[] = []
	let line = ''
	for (const word of words) {
		if (line !== '' && line.length + 1 + word.length + 2 > WIDTH) {
			lines.push(`${line} \\`)
			line = `  ${word}`
		} else line = line === '' ? word : `${line} ${word}`
	}
	lines.push(line)
	return lines
}

function shellQuote(value: string): string {
	return /^[\w@%+=:,./-]+$/.test(value) ? value : `'${value.replaceAll("'", "'\\''")}'`
}

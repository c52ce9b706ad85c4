import { flag, type Flags, list } from '../args.js'
import { type Context, openSession } from '../context.js'
import { EXIT } from '../explain-error.js'
import { Report } from '../format.js'
import { checkProbeUrl } from '../probe.js'
import { renderProbes, runProbes } from '../probe-report.js'
import { renderToken, tokenView } from '../token-view.js'

/** `tokenwarden token`: one token through the manager, what it is, and what the probed APIs say of it. */
export async function tokenCommand(flags: Flags, context: Context): Promise<number> {
	const { io, term, secrets } = context
	const probes = list(flags, 'probe').map(checkProbeUrl)
	const showToken = flag(flags, 'show-token')
	const session = await openSession(flags, context)
	const { connection } = session
	const token = await session.tokens.getToken()
	if (!showToken) secrets.add(token.accessToken)
	const view = tokenView(token, connection.requestedScope, session.observer.observation, io.now(), showToken)
	const results = await runProbes(probes, token, session, view.jwt, io.now, (text) => secrets.scrub(text))
	const exit = results.every((result) => result.ok) ? EXIT.ok : EXIT.probe
	if (flag(flags, 'json')) {
		const source = { tokenUrl: connection.options.tokenUrl, clientAuth: connection.clientAuth, preset: connection.preset, environment: connection.environment }
		term.out(`${JSON.stringify({ ok: exit === EXIT.ok, command: 'token', ...view, ...source, probes: results }, null, 2)}\n`)
		return exit
	}
	const report = new Report(term.paint)
	report.heading(`Token from ${connection.preset ? `${connection.preset} (${connection.environment})` : 'the token endpoint'}`)
	report.field('token url', connection.options.tokenUrl)
	report.field('client auth', connection.clientAuth)
	renderToken(report, view, showToken)
	renderProbes(report, results)
	term.out(report.toString())
	return exit
}

import type { Token } from '@tokenwarden/core'
import type { Report } from './format.js'
import type { DecodedJwt } from './jwt.js'
import { probe, type ProbeResult } from './probe.js'
import type { Session } from './context.js'

/** Runs the probes one after another (their times stay comparable). */
export async function runProbes(
	urls: readonly string[],
	token: Token,
	session: Session,
	jwt: DecodedJwt | null,
	now: () => number,
	redact: (text: string) => string,
): Promise<ProbeResult[]> {
	const results: ProbeResult[] = []
	const mtls = session.connection.tls?.cert !== undefined || session.connection.tls?.pfx !== undefined
	for (const url of urls) results.push(await probe(url, token, { fetch: session.probeFetch, now, jwt: jwt ?? undefined, mtls, timeout: session.timeout, redact }))
	return results
}

export function renderProbes(report: Report, results: readonly ProbeResult[]): void {
	for (const result of results) {
		report.heading(`probe GET ${result.url}`)
		const status = result.status === undefined ? 'no response' : `HTTP ${result.status}`
		report.field('status', `${status}${result.ok ? ' ok' : ''}`, result.ok ? 'good' : 'bad')
		report.field('time', `${result.timeMs} ms`)
		for (const challenge of result.challenges) {
			const params = Object.entries(challenge.params).map(([name, value]) => `${name}="${value}"`)
			report.field('challenge', [challenge.scheme, challenge.token68 ?? '', ...params].filter(Boolean).join(' '))
		}
		if (result.location) report.field('location', result.location)
		if (result.explanation) report.field('meaning', result.explanation, 'warn')
		if (result.body) report.field('body', result.body, 'dim')
	}
}

// `pnpm demo`: local imitations of four providers' authorization servers and an API, then a scripted
// tour through the axios and ky adapters. Every step states what it expects; the demo exits non-zero
// if any expectation fails. Everything listens on 127.0.0.1 and stops by itself.
import { credentials, hardTimeout, holder, managerTimings, pixProviders, servers } from './config.ts'
import { type Demo, startDemo } from './setup.ts'
import { burst } from './tour/burst.ts'
import { consentFlow, consentWithdrawn, rotation, spentRefreshToken } from './tour/consent.ts'
import { acrossExpiry } from './tour/expiry.ts'
import { forced401 } from './tour/forced-401.ts'
import { outage } from './tour/outage.ts'
import { Reporter, table } from './tour/report.ts'
import { scopeLimit } from './tour/scope-limit.ts'
import { percentile } from './tour/traffic.ts'

// Whatever goes wrong, the demo ends: a hung step fails the run instead of hanging CI.
const watchdog = setTimeout(() => {
	console.error(`\ndemo: still running after ${hardTimeout / 1000} s; giving up`)
	process.exit(2)
}, hardTimeout)

const started = performance.now()
const demo = await startDemo()
const reporter = new Reporter(['juno', 'bankly', 'bs2', 'bs2Banking', ...pixProviders])
try {
	printIntro(demo)
	// The four providers run at the same time (each has its own manager, clients and server);
	// each one's steps run in order.
	await Promise.all([junoTour(demo), banklyTour(demo), bs2Tour(demo), bs2BankingTour(demo)])
	// Then the six Pix providers, side by side: short tours, run after the timed ones so as not to skew their clocks.
	await Promise.all(pixProviders.map((provider) => pixTour(demo, provider)))
	printSummary(demo)
} finally {
	await demo.close()
	clearTimeout(watchdog)
}
process.exitCode = reporter.failed === 0 ? 0 : 1

// Servers are closed and the managers' timers do not hold the process: it should end now. If
// something still holds it, say what, and end anyway.
setTimeout(() => {
	console.error('demo: something still holds the process open:', process.getActiveResourcesInfo().join(', '))
	process.exit(1)
}, 5_000).unref()

async function junoTour({ tours: { juno }, api, juno: server }: Demo): Promise<void> {
	const L = servers.juno.lifetimeSeconds
	await reporter.step('juno', 1, 'burst of 200 concurrent requests (100 axios + 100 ky) -> exactly 1 token request', async (expect) => {
		await burst(juno, expect, { requests: 200 })
		const token = juno.events.find((event) => event.type === 'token')
		expect('expiry taken from the JWT exp claim', token?.expirySource === 'jwt-exp', String(token?.expirySource))
		const schemes = [...api.schemes('juno')]
		expect('sent as "Bearer" (Juno answers token_type "bearer")', schemes.join() === 'Bearer', schemes.join(', '))
	})
	await reporter.step('juno', 2, 'the API revokes the token; 40 requests -> a 401 each, one retry each, 1 token request', (expect) => forced401(juno, expect, { requests: 40 }))
	await reporter.step('juno', 3, `8 s of requests across ${L} s tokens -> refreshed ahead, no 401, nobody waits`, (expect, progress) =>
		acrossExpiry(juno, expect, progress, { duration: 8_000, workers: 3, pause: 30, refreshAhead: true, period: L * 1000 - managerTimings.juno.refreshAhead }),
	)
	await reporter.step('juno', 4, 'outage: 503 + Retry-After: 1 for 1.5 s while 100 requests need a token -> no stampede', (expect, progress) =>
		outage(juno, expect, progress, { requests: 100, outage: 1_500, retryAfterSeconds: 1 }),
	)
	await reporter.step('juno', 5, 'the whole tour -> Juno never blocked the client', async (expect) => {
		expect('token requests refused as "too many"', server.blocked() === 0, String(server.blocked()))
	})
}

async function banklyTour({ tours: { bankly } }: Demo): Promise<void> {
	const L = servers.bankly.lifetimeSeconds
	await reporter.step('bankly', 1, 'burst of 200 over two scope sets -> exactly 2 token requests', async (expect) => {
		await burst(bankly, expect, {
			requests: 200,
			targets: [{}, { path: '/bankly/documents', choice: { scope: 'kyc.document.read' } }],
		})
		const token = bankly.events.find((event) => event.type === 'token')
		expect('expiry taken from expires_in (an ISO timestamp)', token?.expirySource === 'expires_in', String(token?.expirySource))
	})
	await reporter.step('bankly', 2, `a token with ${servers.bankly.maxScopes + 1} scopes -> TypeError, no request`, (expect) =>
		scopeLimit(bankly, expect, { maxScopes: servers.bankly.maxScopes }),
	)
	await reporter.step('bankly', 3, 'the API revokes the token; 40 requests -> a 401 each, one retry each, 1 token request', (expect) => forced401(bankly, expect, { requests: 40 }))
	await reporter.step('bankly', 4, `8 s of requests across ${L} s tokens -> refreshed ahead, no 401, nobody waits`, (expect, progress) =>
		acrossExpiry(bankly, expect, progress, { duration: 8_000, workers: 3, pause: 30, refreshAhead: true, period: L * 1000 - managerTimings.bankly.refreshAhead }),
	)
}

async function bs2Tour({ tours: { bs2 }, bs2: server }: Demo): Promise<void> {
	const L = servers.bs2.lifetimeSeconds
	await reporter.step('bs2', 1, 'burst of 200 concurrent requests -> exactly 1 token request', (expect) => burst(bs2, expect, { requests: 200 }))
	await reporter.step('bs2', 2, 'the API revokes the token; 40 requests -> a 401 each, one retry each, 1 token request', (expect) => forced401(bs2, expect, { requests: 40 }))
	await reporter.step('bs2', 3, `6 s of requests across ${L} s tokens that retire their predecessor -> renewed at the margin, no 401`, (expect, progress) =>
		acrossExpiry(bs2, expect, progress, { duration: 6_000, workers: 1, pause: 20, refreshAhead: false, period: L * 1000 - managerTimings.bs2.expiryMargin }),
	)
	await reporter.step('bs2', 4, 'the whole tour -> BS2 never throttled the client', async (expect) => {
		expect('token requests answered 429', server.throttled() === 0, String(server.throttled()))
	})
}

async function bs2BankingTour({ tours: { bs2Banking }, bs2Banking: server }: Demo): Promise<void> {
	const L = servers.bs2Banking.lifetimeSeconds
	await reporter.step('bs2Banking', 1, 'consent: authorization URL -> holder logs in + SMS code -> code + state -> 1 code exchange', (expect, progress) =>
		consentFlow(bs2Banking, expect, progress, { subject: holder.subject, holder }),
	)
	const since = server.log.mark()
	await reporter.step('bs2Banking', 2, `6 s of the holder's requests across ${L} s tokens -> refresh tokens rotated, no 401`, async (expect, progress) => {
		await acrossExpiry(bs2Banking, expect, progress, { duration: 6_000, workers: 1, pause: 20, refreshAhead: false, period: L * 1000 - managerTimings.bs2Banking.expiryMargin })
		rotation(server, expect, since)
	})
	await reporter.step('bs2Banking', 3, 'a stale copy of a rotated refresh token -> invalid_grant; the live grant carries on', (expect) =>
		spentRefreshToken(bs2Banking, server, expect, { subject: holder.subject, ...credentials.bs2Banking }),
	)
	await reporter.step('bs2Banking', 4, 'the holder withdraws consent -> ConsentRequiredError, no retry loop', (expect) =>
		consentWithdrawn(bs2Banking, server, expect, { subject: holder.subject }),
	)
}

/** The Pix providers: the preset's documented request reaches an imitation that checks it (mutual TLS, where the credentials go, scope, body format). */
async function pixTour({ tours }: Demo, provider: (typeof pixProviders)[number]): Promise<void> {
	const tour = tours[provider]
	await reporter.step(provider, 1, 'burst of 40 concurrent requests (20 axios + 20 ky) -> exactly 1 token request the imitation accepts', (expect) =>
		burst(tour, expect, { requests: 40 }),
	)
	await reporter.step(provider, 2, 'the API revokes the token; 10 requests -> a 401 each, one retry each, 1 token request', (expect) => forced401(tour, expect, { requests: 10 }))
}

function printIntro(demo: Demo): void {
	// How each Pix imitation reads a token request, from the provider's documentation.
	const PIX_INTRO: Record<(typeof pixProviders)[number], string> = {
		inter: 'mutual TLS (PEM); client_id + client_secret + scope in the form body; 60-minute tokens',
		itau: 'mutual TLS (PKCS#12); client_id + client_secret in the form body; 5-minute tokens',
		santander: 'mutual TLS (PKCS#12); grant_type in the query string, client_id + client_secret in the body',
		bancoDoBrasil: 'Basic id:secret + scope; the API wants gw-dev-app-key on every call (bancoDoBrasilApi)',
		sicoob: 'mutual TLS, public client: client_id + scope, no secret; the API wants a client_id header (sicoobApi)',
		efi: 'mutual TLS (PKCS#12); Basic id:secret; {"grant_type":"client_credentials"} as JSON',
	}
	const { juno, bankly, bs2, bs2Banking } = servers
	const entries: Array<[string, string, string]> = [
		[
			'juno',
			demo.juno.tokenUrl,
			`Basic auth; JWT access tokens (exp) of ${juno.lifetimeSeconds} s; token_type "bearer"; blocks a client asking more than ${juno.block.limit} tokens in ${juno.block.window / 1000} s`,
		],
		['bankly', demo.bankly.tokenUrl, `credentials in the form body; scope required, at most ${bankly.maxScopes}; expires_in as an ISO timestamp (${bankly.lifetimeSeconds} s)`],
		[
			'bs2',
			demo.bs2.tokenUrl,
			`Basic auth + scope; ${bs2.lifetimeSeconds} s tokens; a new token retires the previous one; more than ${bs2.throttle.limit} tokens in ${bs2.throttle.window / 1000} s -> 429`,
		],
		['bs2Banking', demo.bs2Banking.authorizeUrl, `consent (login + SMS code) -> code; ${bs2Banking.lifetimeSeconds} s tokens; refresh tokens rotated; scope required on refresh`],
		...pixProviders.map((provider): [string, string, string] => [provider, demo.pix[provider].tokenUrl, PIX_INTRO[provider]]),
		['api', demo.api.origin, 'the resources: 401 for a missing, unknown, expired, revoked or replaced token'],
	]
	console.log(`tokenwarden demo: local imitations of ${4 + pixProviders.length} providers and an API, on 127.0.0.1\n`)
	for (const [name, url, what] of entries) console.log(`  ${name.padEnd(13)}  ${url}\n  ${''.padEnd(13)}  ${what}`)
	console.log('\nLifetimes and rate windows are scaled down to seconds (demo/config.ts). The tours run side by side.\n')
}

function printSummary(demo: Demo): void {
	const rows = Object.values(demo.tours).map((tour) => {
		const { traffic } = tour
		return [
			tour.name,
			String(traffic.requests),
			String(tour.server.log.count()),
			String(traffic.recovered401(demo.api)),
			String(traffic.failures),
			percentile(traffic.latencies, 50).toFixed(1),
			percentile(traffic.latencies, 99).toFixed(1),
		]
	})
	console.log('\nSummary\n')
	console.log(table(['provider', 'requests', 'token requests', '401s recovered', 'errors', 'p50 ms', 'p99 ms'], rows))
	const expected = Object.values(demo.tours).reduce((sum, tour) => sum + tour.traffic.expectedFailures, 0)
	console.log(
		[
			'',
			'requests: through the axios and ky adapters. token requests: as the servers counted them, retries included.',
			`errors: requests that failed unexpectedly (${expected} more failed as their step expected: bs2Banking 4, consent withdrawn).`,
			'latency: per request, waiting for a token included (p99 holds the bursts and the outage wait).',
		].join('\n'),
	)
	const seconds = ((performance.now() - started) / 1000).toFixed(1)
	const verdict = reporter.failed === 0 ? `all ${reporter.passed} expectations met` : `${reporter.failed} of ${reporter.passed + reporter.failed} expectations FAILED`
	console.log(`\n${verdict} in ${seconds} s`)
}

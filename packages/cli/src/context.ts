import { createMtlsAgents, createTokenManager, type FetchLike, type TokenManager } from '@tokenwarden/core'
import { type Flags, flag } from './args.js'
import { type Connection, resolveConnection } from './connection.js'
import type { CliIo } from './io.js'
import type { Secrets } from './mask.js'
import { type Observer, observe } from './observe.js'
import type { Terminal } from './terminal.js'

/** What every command gets. */
export interface Context {
	io: CliIo
	term: Terminal
	secrets: Secrets
	/** Set once the connection is known, so an `invalid_client` hint can name the method. */
	clientAuth: string | undefined
}

/** A manager for the command line's connection, with the CLI's observers attached. */
export interface Session {
	tokens: TokenManager
	connection: Connection
	observer: Observer
	/** fetch for probes: with the client certificate when mutual TLS is set up. */
	probeFetch: FetchLike
	/** Per probe, in ms: the manager's timeout. */
	timeout: number
}

export async function openSession(flags: Flags, context: Context): Promise<Session> {
	const { io, term, secrets } = context
	const connection = await resolveConnection(flags, io, secrets)
	context.clientAuth = connection.clientAuth
	const observer = observe(term, secrets, flag(flags, 'verbose'))
	const tokens = createTokenManager({
		...connection.options,
		onEvent: observer.onEvent,
		store: observer.store,
		...(observer.logger ? { logger: observer.logger } : {}),
		// With mutual TLS the manager brings its own fetch; otherwise it uses ours, watched for the Date header.
		...(connection.tls ? {} : { fetch: observer.watchFetch(io.fetch) }),
	})
	const probeFetch = connection.tls ? (createMtlsAgents(connection.tls).fetch as FetchLike) : io.fetch
	return { tokens, connection, observer, probeFetch, timeout: connection.options.timeout ?? 10_000 }
}

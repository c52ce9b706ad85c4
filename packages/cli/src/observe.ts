import { type FetchLike, memoryStore, type TokenStore, type TokenWardenEvent } from '@tokenwarden/core'
import type { Secrets } from './mask.js'
import type { Terminal } from './terminal.js'

/** What the CLI learns beside the token itself, without reaching into the manager. */
export interface Observation {
	/** Every event of the run, in order. */
	readonly events: TokenWardenEvent[]
	/** The `Date` header of the last token response; undefined when not observable (mutual TLS brings its own fetch). */
	dateHeader: string | null | undefined
	/** The holder's refresh token, as the manager stored it (shown masked, never printed). */
	refreshToken: string | undefined
}

/** Hooks for the manager: an event listener, a store and (without mutual TLS) a fetch that watch quietly. */
export interface Observer {
	observation: Observation
	onEvent: (event: TokenWardenEvent) => void
	store: TokenStore
	/** Wraps the fetch the token endpoint is called with: reads the response's `Date` header, never its body. */
	watchFetch(fetch: FetchLike): FetchLike
	logger: { debug(message: string): void; info(message: string): void; warn(message: string): void; error(message: string): void } | undefined
}

export function observe(term: Terminal, secrets: Secrets, verbose: boolean): Observer {
	const observation: Observation = { events: [], dateHeader: undefined, refreshToken: undefined }
	const inner = memoryStore()
	const line = (label: string, text: string) => term.err(`${term.paintErr(label, 'dim')} ${text}\n`)
	return {
		observation,
		onEvent(event) {
			observation.events.push(event)
			if (verbose) line(`event ${event.type}:`, describeEvent(event))
		},
		store: {
			get: (key) => inner.get(key),
			set(key, value, options) {
				if (value.refreshToken !== undefined) {
					// Registered before anything else can see it: the scrubber then hides it everywhere.
					secrets.add(value.refreshToken)
					observation.refreshToken = value.refreshToken
				}
				return inner.set(key, value, options)
			},
			delete: (key) => inner.delete(key),
			compareAndDelete: (key, accessToken) => inner.compareAndDelete(key, accessToken),
		},
		watchFetch: (fetch) => async (input, init) => {
			const response = await fetch(input, init)
			observation.dateHeader = response.headers.get('date')
			return response
		},
		logger: verbose
			? {
					debug: (message) => line('debug', message),
					info: (message) => line('info', message),
					warn: (message) => line('warn', message),
					error: (message) => line('error', message),
				}
			: undefined,
	}
}

/** One line per event: its fields but the cache key (long, and only an identifier). */
export function describeEvent(event: TokenWardenEvent): string {
	const parts: string[] = []
	for (const [name, value] of Object.entries(event)) {
		if (name === 'type' || name === 'key' || value === undefined) continue
		if (value instanceof Error) parts.push(`${name}=${(value as { code?: string }).code ?? value.name}: ${value.message}`)
		else if (typeof value === 'number' && /At$/.test(name)) parts.push(`${name}=${new Date(value).toISOString()}`)
		else if (typeof value === 'number' && /delay|skew|wait/i.test(name)) parts.push(`${name}=${value}ms`)
		else parts.push(`${name}=${typeof value === 'object' ? JSON.stringify(value) : String(value)}`)
	}
	return parts.join(' ')
}

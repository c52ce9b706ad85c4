/**
 * The part of a node-redis client (the `redis` package, v6) that the store uses. A client from
 * `createClient(...).connect()` satisfies it; the types are structural so that the store does not
 * depend on the client's generic parameters (modules, scripts, RESP version).
 */
export interface NodeRedisClient {
	/** False while the client reconnects: the store then fails fast instead of queueing. */
	readonly isReady: boolean
	/** Sends one raw command (`['EVALSHA', ...]`); `abortSignal` drops it if it is still queued when the store gives up on it. */
	sendCommand(args: readonly string[], options?: { abortSignal?: AbortSignal }): Promise<unknown>
	/** Used once, lazily, for the pub/sub connection that wakes lock waiters. */
	duplicate(): NodeRedisSubscriber
}

/** The pub/sub connection the store opens with {@link NodeRedisClient.duplicate} (and closes itself). */
export interface NodeRedisSubscriber {
	/** Errors of the pub/sub connection, which the store handles (they never reach the application as exceptions). */
	on(event: 'error', listener: (error: Error) => void): unknown
	/** Opens the connection. */
	connect(): Promise<unknown>
	/** Listens on the channel where lock releases are announced. */
	subscribe(channel: string, listener: (message: string, channel: string) => void): Promise<unknown>
	/** Closes the connection at once. */
	destroy(): void
}

/** The part of an ioredis client (v6) that the store uses. */
export interface IoredisClient {
	/** `'ready'` when connected; the store fails fast while it is `'reconnecting'`, `'close'` or `'end'`. */
	readonly status: string
	/** Sends one raw command (`call('EVALSHA', ...)`). */
	call(command: string, ...args: string[]): Promise<unknown>
	/** Used once, lazily, for the pub/sub connection that wakes lock waiters. */
	duplicate(): IoredisSubscriber
}

/** The pub/sub connection the store opens with {@link IoredisClient.duplicate} (and closes itself). */
export interface IoredisSubscriber {
	/** Lock releases announced on the subscribed channel. */
	on(event: 'message', listener: (channel: string, message: string) => void): unknown
	/** Errors of the pub/sub connection, which the store handles (they never reach the application as exceptions). */
	on(event: 'error', listener: (error: Error) => void): unknown
	/** Listens on the channel where lock releases are announced. */
	subscribe(channel: string): Promise<unknown>
	/** Closes the connection at once. */
	disconnect(): void
}

/** A connected node-redis or ioredis client, owned by the application. */
export type RedisClientLike = NodeRedisClient | IoredisClient

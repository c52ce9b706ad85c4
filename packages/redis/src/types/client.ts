/**
 * The part of a node-redis client (the `redis` package, v6) that the store uses. A client from
 * `createClient(...).connect()` satisfies it; the types are structural so that the store does not
 * depend on the client's generic parameters (modules, scripts, RESP version).
 */
export interface NodeRedisClient {
	/** False while the client reconnects: the store then fails fast instead of queueing. */
	readonly isReady: boolean
	sendCommand(args: readonly string[], options?: { abortSignal?: AbortSignal }): Promise<unknown>
	/** Used once, lazily, for the pub/sub connection that wakes lock waiters. */
	duplicate(): NodeRedisSubscriber
}

/** The pub/sub connection the store opens with {@link NodeRedisClient.duplicate} (and closes itself). */
export interface NodeRedisSubscriber {
	on(event: 'error', listener: (error: Error) => void): unknown
	connect(): Promise<unknown>
	subscribe(channel: string, listener: (message: string, channel: string) => void): Promise<unknown>
	destroy(): void
}

/** The part of an ioredis client (v6) that the store uses. */
export interface IoredisClient {
	/** `'ready'` when connected; the store fails fast while it is `'reconnecting'`, `'close'` or `'end'`. */
	readonly status: string
	call(command: string, ...args: string[]): Promise<unknown>
	duplicate(): IoredisSubscriber
}

/** The pub/sub connection the store opens with {@link IoredisClient.duplicate} (and closes itself). */
export interface IoredisSubscriber {
	on(event: 'message', listener: (channel: string, message: string) => void): unknown
	on(event: 'error', listener: (error: Error) => void): unknown
	subscribe(channel: string): Promise<unknown>
	disconnect(): void
}

/** A connected node-redis or ioredis client, owned by the application. */
export type RedisClientLike = NodeRedisClient | IoredisClient

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
	/** Stops listening on a channel. */
	unsubscribe(channel: string, listener?: (message: string, channel: string) => void): Promise<unknown>
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
	/** Stops listening on a channel. */
	unsubscribe(channel: string): Promise<unknown>
	/** Closes the connection at once. */
	disconnect(): void
}

/** A connected node-redis or ioredis client (standalone or cluster), owned by the application. */
export type RedisClientLike = NodeRedisClient | IoredisClient | RedisClusterLike

/**
 * The part of a node-redis cluster client (`createCluster(...)`, v6) that the store uses. Commands are
 * routed by the key given beside them; the store never reads from replicas.
 */
export interface NodeRedisCluster {
	/** False until the cluster client knows the slots (and after it closed). */
	readonly isReady: boolean
	/** Sends one raw command to the master of `firstKey`'s slot, following MOVED/ASK redirections. */
	sendCommand(firstKey: string | undefined, isReadonly: boolean | undefined, args: string[], options?: { abortSignal?: AbortSignal }): Promise<unknown>
	/** The connection to the master of `key`'s slot: `WAIT` must run on the connection that wrote. */
	getNodeClientForKey(
		key: string,
		isReadonly?: boolean,
	): Promise<{
		/** Sends one raw command on that node's connection. */
		sendCommand(args: string[], options?: { abortSignal?: AbortSignal }): Promise<unknown>
	}>
	/** Used once, lazily, for the sharded pub/sub connections that wake lock waiters. */
	duplicate(): NodeRedisClusterSubscriber
}

/** The sharded pub/sub client the store opens with {@link NodeRedisCluster.duplicate} (and closes itself). */
export interface NodeRedisClusterSubscriber {
	/** Reports connection errors (the store logs them). */
	on(event: 'error', listener: (error: Error) => void): unknown
	/** Opens the subscriber connections. */
	connect(): Promise<unknown>
	/** `SSUBSCRIBE` on the shard that owns the channel's slot. */
	sSubscribe(channel: string, listener: (message: string, channel: string) => void): Promise<unknown>
	/** Leaves a sharded channel (`SUNSUBSCRIBE`). */
	sUnsubscribe(channel: string, listener?: (message: string, channel: string) => void): Promise<unknown>
	/** Closes the subscriber connections. */
	destroy(): void
}

/** The part of an ioredis `Cluster` (v6) that the store uses. */
export interface IoredisCluster {
	/** Always true: how an ioredis `Cluster` tells itself apart from a `Redis`. */
	readonly isCluster: true
	/** `'ready'` when connected. */
	readonly status: string
	/** Sends one raw command, routed by the slot of its keys. */
	call(command: string, ...args: string[]): Promise<unknown>
	/** Commands sent together to the node of their keys' slot, on one connection (for `WAIT` after a write). */
	pipeline(commands: string[][]): {
		/** Sends the commands; one `[error, reply]` per command. */
		exec(): Promise<Array<[Error | null, unknown]> | null>
	}
	/** Used once, lazily, with `shardedSubscribers: true`, for the connections that wake lock waiters. */
	duplicate(startupNodes?: undefined, options?: { shardedSubscribers?: boolean }): IoredisClusterSubscriber
}

/** The sharded pub/sub cluster client the store opens with {@link IoredisCluster.duplicate} (and closes itself). */
export interface IoredisClusterSubscriber {
	/** A message on a sharded channel. */
	on(event: 'smessage', listener: (channel: string, message: string) => void): unknown
	/** Reports connection errors (the store logs them). */
	on(event: 'error', listener: (error: Error) => void): unknown
	/** Joins a sharded channel (`SSUBSCRIBE`). */
	ssubscribe(channel: string): Promise<unknown>
	/** Leaves a sharded channel (`SUNSUBSCRIBE`). */
	sunsubscribe(channel: string): Promise<unknown>
	/** Closes the subscriber connections. */
	disconnect(): void
}

/** A connected node-redis cluster or ioredis `Cluster`, owned by the application. */
export type RedisClusterLike = NodeRedisCluster | IoredisCluster

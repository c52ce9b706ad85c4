import { RedisStoreError } from './errors.js'
import type { IoredisClient, IoredisCluster, NodeRedisClient, NodeRedisCluster, RedisClientLike } from './types/client.js'

/** What the store needs from a client, whichever library it comes from, standalone or cluster. */
export interface Connection {
	/** A Redis Cluster: keys are hash-tagged, releases announced by sharded pub/sub. */
	readonly cluster: boolean
	/**
	 * Sends one command, routed by `routingKey` on a cluster (a key of the command: every key a command
	 * touches is in one slot). Rejects at once (reason `offline`) while the client is known to be
	 * disconnected, rather than sitting in the client's offline queue behind the outage.
	 * `signal` takes a command that is still queued out of the queue where the library allows it.
	 */
	send(args: readonly string[], routingKey: string, signal: AbortSignal): Promise<unknown>
	/**
	 * Sends a write, then `WAIT replicas timeout` on the same connection (WAIT counts the replicas that
	 * acknowledged the writes of the connection it runs on). Resolves the write's reply and that count.
	 */
	sendAndWait(args: readonly string[], routingKey: string, replicas: number, timeout: number, signal: AbortSignal): Promise<{ reply: unknown; acks: number }>
	/** Opens a dedicated pub/sub connection (`client.duplicate()`); channels are added and removed on it. */
	subscriber(onMessage: (channel: string, message: string) => void, onError: (error: Error) => void): Subscriber
}

/** A pub/sub connection the store opened, and so closes. */
export interface Subscriber {
	/** Settles when the connection is up (or could not be made). */
	readonly ready: Promise<void>
	/** Subscribes to a channel (`SSUBSCRIBE` on a cluster, on the shard that owns its slot). */
	listen(channel: string): Promise<void>
	unlisten(channel: string): Promise<void>
	close(): void
}

/** ioredis states in which a command would wait in the offline queue for a reconnection. */
const IOREDIS_OFFLINE = new Set(['reconnecting', 'close', 'end'])

const NOT_A_CLIENT = 'tokenwarden: redisStore needs a connected node-redis (createClient or createCluster) or ioredis (Redis or Cluster) client'

/** Adapts a node-redis or ioredis client or cluster; anything else is a TypeError at the boundary. */
export function connectionOf(client: RedisClientLike): Connection {
	if (typeof client !== 'object' || client === null) throw new TypeError(NOT_A_CLIENT)
	if (isIoredisCluster(client)) return ioredisClusterConnection(client)
	if (isIoredis(client)) return ioredisConnection(client)
	if (isNodeRedisCluster(client)) return nodeRedisClusterConnection(client)
	if (isNodeRedis(client)) return nodeRedisConnection(client)
	throw new TypeError(NOT_A_CLIENT)
}

function isIoredisCluster(client: object): client is IoredisCluster {
	const candidate = client as Partial<IoredisCluster>
	return candidate.isCluster === true && typeof candidate.call === 'function' && typeof candidate.pipeline === 'function' && typeof candidate.duplicate === 'function'
}

function isIoredis(client: object): client is IoredisClient {
	const candidate = client as Partial<IoredisClient>
	return typeof candidate.call === 'function' && typeof candidate.status === 'string' && typeof candidate.duplicate === 'function'
}

function isNodeRedisCluster(client: object): client is NodeRedisCluster {
	const candidate = client as Partial<NodeRedisCluster>
	return typeof candidate.sendCommand === 'function' && typeof candidate.getNodeClientForKey === 'function' && typeof candidate.duplicate === 'function' && 'isReady' in client
}

function isNodeRedis(client: object): client is NodeRedisClient {
	const candidate = client as Partial<NodeRedisClient>
	return typeof candidate.sendCommand === 'function' && typeof candidate.duplicate === 'function' && 'isReady' in client
}

function offline(): RedisStoreError {
	return new RedisStoreError('Redis client is not connected (reconnecting or closed); not queueing behind the outage', 'offline')
}

function waitArgs(replicas: number, timeout: number): string[] {
	return ['WAIT', String(replicas), String(Math.max(1, Math.floor(timeout)))]
}

function nodeRedisConnection(client: NodeRedisClient): Connection {
	const send = (args: readonly string[], signal: AbortSignal) => {
		if (!client.isReady) return Promise.reject(offline())
		// abortSignal drops a command that is still queued (node-redis queues while it reconnects).
		return client.sendCommand(args, { abortSignal: signal })
	}
	return {
		cluster: false,
		send: (args, _routingKey, signal) => send(args, signal),
		async sendAndWait(args, _routingKey, replicas, timeout, signal) {
			// Both on the client's one connection, WAIT right behind the write.
			const [reply, acks] = await Promise.all([send(args, signal), send(waitArgs(replicas, timeout), signal)])
			return { reply, acks: Number(acks) }
		},
		subscriber(onMessage, onError) {
			const subscriber = client.duplicate()
			subscriber.on('error', onError)
			const listener = (message: string, channel: string) => onMessage(channel, message)
			return closable(subscriber.connect(), {
				listen: (channel) => subscriber.subscribe(channel, listener),
				unlisten: (channel) => subscriber.unsubscribe(channel, listener),
				close: () => subscriber.destroy(),
			})
		},
	}
}

function nodeRedisClusterConnection(client: NodeRedisCluster): Connection {
	const send = (args: readonly string[], routingKey: string, signal: AbortSignal) => {
		if (!client.isReady) return Promise.reject(offline())
		// Never from a replica: a refresh token read there may already have been rotated on the master.
		return client.sendCommand(routingKey, false, [...args], { abortSignal: signal })
	}
	return {
		cluster: true,
		send,
		async sendAndWait(args, routingKey, replicas, timeout, signal) {
			const reply = await send(args, routingKey, signal)
			// The cluster client's own connection to the slot's master, which just ran the write (sending WAIT
			// through the cluster would fan it out to every master).
			const node = await client.getNodeClientForKey(routingKey, false)
			const acks = await node.sendCommand(waitArgs(replicas, timeout), { abortSignal: signal })
			return { reply, acks: Number(acks) }
		},
		subscriber(onMessage, onError) {
			const subscriber = client.duplicate()
			subscriber.on('error', onError)
			const listener = (message: string, channel: string) => onMessage(channel, message)
			return closable(subscriber.connect(), {
				listen: (channel) => subscriber.sSubscribe(channel, listener),
				unlisten: (channel) => subscriber.sUnsubscribe(channel, listener),
				close: () => subscriber.destroy(),
			})
		},
	}
}

function ioredisConnection(client: IoredisClient): Connection {
	const send = (args: readonly string[]) => {
		if (IOREDIS_OFFLINE.has(client.status)) return Promise.reject(offline())
		const [command, ...rest] = args
		return client.call(command as string, ...rest)
	}
	return {
		cluster: false,
		send: (args) => send(args),
		async sendAndWait(args, _routingKey, replicas, timeout) {
			const [reply, acks] = await Promise.all([send(args), send(waitArgs(replicas, timeout))])
			return { reply, acks: Number(acks) }
		},
		subscriber(onMessage, onError) {
			const subscriber = client.duplicate()
			subscriber.on('error', onError)
			subscriber.on('message', (channel, message) => onMessage(channel, message))
			return closable(Promise.resolve(), {
				listen: (channel) => subscriber.subscribe(channel),
				unlisten: (channel) => subscriber.unsubscribe(channel),
				close: () => subscriber.disconnect(),
			})
		},
	}
}

function ioredisClusterConnection(client: IoredisCluster): Connection {
	const offlineNow = () => IOREDIS_OFFLINE.has(client.status)
	return {
		cluster: true,
		send(args) {
			if (offlineNow()) return Promise.reject(offline())
			const [command, ...rest] = args
			// ioredis routes by the keys of the command (EVAL/EVALSHA: by its numkeys).
			return client.call(command as string, ...rest)
		},
		async sendAndWait(args, _routingKey, replicas, timeout) {
			if (offlineNow()) throw offline()
			// A pipeline goes to the node of its keys' slot on one connection: WAIT has no key of its own.
			const [command = '', ...rest] = args
			// ioredis pipelines take its method names: lower-case commands.
			const results = await client
				.pipeline([
					[command.toLowerCase(), ...rest],
					['wait', ...waitArgs(replicas, timeout).slice(1)],
				])
				.exec()
			const [write, wait] = results ?? []
			if (!write || !wait) throw new RedisStoreError('Redis cluster pipeline returned no reply', 'command', { outage: true })
			if (write[0]) throw write[0]
			if (wait[0]) throw wait[0]
			return { reply: write[1], acks: Number(wait[1]) }
		},
		subscriber(onMessage, onError) {
			const subscriber = client.duplicate(undefined, { shardedSubscribers: true })
			subscriber.on('error', onError)
			subscriber.on('smessage', (channel, message) => onMessage(channel, message))
			return closable(Promise.resolve(), {
				listen: (channel) => subscriber.ssubscribe(channel),
				unlisten: (channel) => subscriber.sunsubscribe(channel),
				close: () => subscriber.disconnect(),
			})
		},
	}
}

/** A subscriber whose `close` also stops a connection that is still being opened, and never throws. */
function closable(connecting: Promise<unknown>, operations: { listen(channel: string): Promise<unknown>; unlisten(channel: string): Promise<unknown>; close(): void }): Subscriber {
	let closed = false
	const ready = connecting.then(() => {})
	return {
		ready,
		listen: async (channel) => {
			await ready
			if (!closed) await operations.listen(channel)
		},
		unlisten: async (channel) => {
			if (!closed) await operations.unlisten(channel)
		},
		close() {
			closed = true
			try {
				operations.close()
			} catch {
				// Already closed or never connected: nothing of ours is left open.
			}
		},
	}
}

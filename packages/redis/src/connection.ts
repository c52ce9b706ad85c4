import { RedisStoreError } from './errors.js'
import type { IoredisClient, NodeRedisClient, RedisClientLike } from './types/client.js'

/** What the store needs from a client, whichever library it comes from. */
export interface Connection {
	/**
	 * Sends one command. Rejects at once (reason `offline`) while the client is known to be
	 * disconnected, rather than sitting in the client's offline queue behind the outage.
	 * `signal` takes a command that is still queued out of the queue where the library allows it.
	 */
	send(args: readonly string[], signal: AbortSignal): Promise<unknown>
	/** Opens a dedicated pub/sub connection (`client.duplicate()`) subscribed to `channel`. */
	subscribe(channel: string, onMessage: (message: string) => void, onError: (error: Error) => void): Subscription
}

/** A pub/sub connection the store opened, and so closes. */
export interface Subscription {
	/** Settles when the subscription is active (or could not be made). */
	readonly ready: Promise<void>
	close(): void
}

/** ioredis states in which a command would wait in the offline queue for a reconnection. */
const IOREDIS_OFFLINE = new Set(['reconnecting', 'close', 'end'])

/** Adapts a node-redis or ioredis client; anything else is a TypeError at the boundary. */
export function connectionOf(client: RedisClientLike): Connection {
	if (typeof client !== 'object' || client === null) {
		throw new TypeError('tokenwarden: redisStore needs a connected node-redis (createClient) or ioredis client')
	}
	if (isIoredis(client)) return ioredisConnection(client)
	if (isNodeRedis(client)) return nodeRedisConnection(client)
	throw new TypeError('tokenwarden: redisStore needs a connected node-redis (createClient) or ioredis client')
}

function isIoredis(client: object): client is IoredisClient {
	const candidate = client as Partial<IoredisClient>
	return typeof candidate.call === 'function' && typeof candidate.status === 'string' && typeof candidate.duplicate === 'function'
}

function isNodeRedis(client: object): client is NodeRedisClient {
	const candidate = client as Partial<NodeRedisClient>
	return typeof candidate.sendCommand === 'function' && typeof candidate.duplicate === 'function' && 'isReady' in client
}

function offline(): RedisStoreError {
	return new RedisStoreError('Redis client is not connected (reconnecting or closed); not queueing behind the outage', 'offline')
}

function nodeRedisConnection(client: NodeRedisClient): Connection {
	return {
		send(args, signal) {
			if (!client.isReady) return Promise.reject(offline())
			// abortSignal drops a command that is still queued (node-redis queues while it reconnects).
			return client.sendCommand(args, { abortSignal: signal })
		},
		subscribe(channel, onMessage, onError) {
			const subscriber = client.duplicate()
			subscriber.on('error', onError)
			let closed = false
			const ready = subscriber.connect().then(async () => {
				if (closed) return
				await subscriber.subscribe(channel, (message) => onMessage(message))
			})
			return {
				ready,
				close() {
					closed = true
					try {
						subscriber.destroy()
					} catch {
						// Already closed or never connected: nothing of ours is left open.
					}
				},
			}
		},
	}
}

function ioredisConnection(client: IoredisClient): Connection {
	return {
		send(args) {
			if (IOREDIS_OFFLINE.has(client.status)) return Promise.reject(offline())
			const [command, ...rest] = args
			return client.call(command as string, ...rest)
		},
		subscribe(channel, onMessage, onError) {
			const subscriber = client.duplicate()
			subscriber.on('error', onError)
			subscriber.on('message', (from, message) => {
				if (from === channel) onMessage(message)
			})
			return {
				ready: subscriber.subscribe(channel).then(() => {}),
				close() {
					subscriber.disconnect()
				},
			}
		},
	}
}

import { type StoreFailure, type StoreFailureKind, TokenWardenError } from '@tokenwarden/core'

/** Why a Redis store operation failed. */
export type RedisStoreErrorReason =
	/** Redis did not answer within `commandTimeout`. */
	| 'timeout'
	/** The client is reconnecting or closed: the command was not queued behind the outage. */
	| 'offline'
	/** Redis answered with an error, or the connection failed mid-command (see {@link RedisStoreError.outage}). */
	| 'command'
	/** A refresh-token write reached the primary but no replica acknowledged it in time (`WAIT`, see `replicaAcks`). */
	| 'not-replicated'
	/** A stored entry failed authentication (AES-GCM tag): changed, truncated or bound to another key. */
	| 'tampered'
	/** A stored entry was encrypted under a key id that is not in `encryption.keys`. */
	| 'unknown-key'
	/** A stored entry is in clear although encryption is configured (see `encryption.acceptUnencrypted`), or encrypted although it is not. */
	| 'encryption-mismatch'
	/** A stored entry is not an entry of a format this release reads. */
	| 'unreadable'

/**
 * Error replies that say Redis (or the shard) is unavailable for a moment, not that the command was wrong:
 * a cluster without a quorum or moving a slot, a server loading its data, a replica promoted mid-write,
 * a script still running.
 */
const TRANSIENT_REPLIES = /^(CLUSTERDOWN|TRYAGAIN|LOADING|MASTERDOWN|READONLY|BUSY|NOREPLICAS)\b/

/**
 * A Redis store operation failed. The manager reports it as a `store-error` event and carries on
 * with its in-process state, so this error reaches callers of the store only when they use it directly.
 *
 * Its message and `cause` never carry a stored value: a token never appears in one.
 */
export class RedisStoreError extends TokenWardenError implements StoreFailure {
	/** Always `REDIS_STORE_ERROR`. */
	override readonly code = 'REDIS_STORE_ERROR'
	/** Why the operation failed. */
	readonly reason: RedisStoreErrorReason
	/**
	 * True when Redis could not be reached or did not answer (a timeout, a lost or refused connection, a
	 * cluster shard failing over, a write no replica acknowledged): an outage, after which the same call
	 * may succeed. False when Redis answered and refused (a stored value this release cannot read or
	 * authenticate, an error reply to the command itself). A guarded store pauses on outages only.
	 */
	readonly outage: boolean
	/**
	 * The same fact in the words of core's store contract ({@link StoreFailure}): `'outage'` (the manager
	 * pauses the store, carries on in process and writes rotated refresh tokens when it is back) or `'refused'`.
	 */
	readonly storeFailure: StoreFailureKind

	constructor(message: string, reason: RedisStoreErrorReason, options?: { cause?: unknown; outage?: boolean }) {
		super(message, options?.cause === undefined ? undefined : { cause: options.cause })
		this.reason = reason
		this.outage = options?.outage ?? (reason === 'timeout' || reason === 'offline' || reason === 'not-replicated')
		this.storeFailure = this.outage ? 'outage' : 'refused'
	}
}

/**
 * Whether a client error means Redis was unreachable rather than that it refused the command.
 * Error replies are the `ErrorReply` (node-redis) and `ReplyError` (ioredis) classes; anything else a client
 * throws mid-command is about the connection (closed socket, reset, refused, the client shut down).
 */
export function isOutage(error: unknown): boolean {
	if (!(error instanceof Error)) return true
	return isReply(error) ? TRANSIENT_REPLIES.test(error.message) : true
}

/** An error reply of Redis: node-redis's `ErrorReply` (and its subclasses) or ioredis's `ReplyError`. */
function isReply(error: Error): boolean {
	if (error.name === 'ReplyError') return true
	for (let proto: object | null = Object.getPrototypeOf(error); proto && proto !== Error.prototype; proto = Object.getPrototypeOf(proto)) {
		const name = (proto as { constructor?: { name?: string } }).constructor?.name
		if (name === 'ErrorReply' || name === 'ReplyError') return true
	}
	return false
}

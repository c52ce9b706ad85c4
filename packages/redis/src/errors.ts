import { TokenWardenError } from '@tokenwarden/core'

/** Why a Redis store operation failed. */
export type RedisStoreErrorReason =
	/** Redis did not answer within `commandTimeout`. */
	| 'timeout'
	/** The client is reconnecting or closed: the command was not queued behind the outage. */
	| 'offline'
	/** Redis answered with an error, or the connection failed mid-command. */
	| 'command'
	/** A stored entry failed authentication (AES-GCM tag): changed, truncated or bound to another key. */
	| 'tampered'
	/** A stored entry was encrypted under a key id that is not in `encryption.keys`. */
	| 'unknown-key'
	/** A stored entry is in clear although encryption is configured (see `encryption.acceptUnencrypted`), or encrypted although it is not. */
	| 'encryption-mismatch'
	/** A stored entry is not an entry of a format this release reads. */
	| 'unreadable'

/**
 * A Redis store operation failed. The manager reports it as a `store-error` event and carries on
 * with its in-process state, so this error reaches callers of the store only when they use it directly.
 *
 * Its message and `cause` never carry a stored value: a token never appears in one.
 */
export class RedisStoreError extends TokenWardenError {
	/** Always `REDIS_STORE_ERROR`. */
	override readonly code = 'REDIS_STORE_ERROR'
	/** Why the operation failed. */
	readonly reason: RedisStoreErrorReason

	constructor(message: string, reason: RedisStoreErrorReason, options?: { cause?: unknown }) {
		super(message, options)
		this.reason = reason
	}
}

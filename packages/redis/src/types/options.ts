import type { Logger, StoreLock, StoreLockOptions, TokenStore } from '@tokenwarden/core'

/**
 * Encryption at rest: entries are sealed with AES-256-GCM under `keys[current]`; the key id is
 * stored beside each entry so that older keys keep decrypting what they sealed while keys rotate.
 */
export interface RedisStoreEncryption {
	/** Key id -> 32 random bytes (for example `crypto.randomBytes(32)`, kept in a secret manager). */
	keys: Readonly<Record<string, Uint8Array>>
	/** Id of the key new entries are sealed with. */
	current: string
	/**
	 * Reads entries written in clear (before encryption was switched on) instead of refusing them.
	 * Off by default: with encryption on, an entry in clear is refused as if it had been tampered with.
	 */
	acceptUnencrypted?: boolean | undefined
}

/** Options of {@link redisStore}. Durations are in milliseconds. */
export interface RedisStoreOptions {
	/** Prepended to every key and channel the store uses. Default `'tw:'`. */
	prefix?: string | undefined
	/**
	 * Bound on each store operation (one or two round trips). Past it the operation fails with a
	 * `RedisStoreError` and the manager carries on in-process. Default 1000.
	 */
	commandTimeout?: number | undefined
	/**
	 * Lease of the fleet lock. Default: twice the manager's `timeout`. The holder renews it every third
	 * of the lease while it works, so it only bounds how long a holder that died keeps others waiting.
	 */
	lease?: number | undefined
	/**
	 * Wake lock waiters by pub/sub as soon as the lock is released (one extra connection, opened
	 * with `client.duplicate()` on first contention). Default true. When false, waiters poll.
	 */
	notifications?: boolean | undefined
	/** How often a lock waiter retries without a wake-up (a backstop when notifications are on). Default 100. */
	pollInterval?: number | undefined
	/**
	 * How many replicas must acknowledge (`WAIT`) a write of an account holder's refresh-token set before
	 * it counts as written; short of that the write fails as an outage (`reason: 'not-replicated'`), the
	 * manager keeps the set in process and the store writes it again until a replica has it. Default: 1 on
	 * a Redis Cluster (a master that dies before replicating would take the rotated refresh token with it),
	 * 0 on a standalone Redis. Access-token entries never wait.
	 */
	replicaAcks?: number | undefined
	/** Seal tokens with AES-256-GCM. Without it, tokens are stored in clear. */
	encryption?: RedisStoreEncryption | undefined
	/** Receives what happens in the background (lock lease lost, pub/sub connection trouble, replayed writes). */
	logger?: Logger | undefined
}

/** The store returned by {@link redisStore}: a {@link TokenStore} with the fleet lock and a `close`. */
export interface RedisTokenStore extends TokenStore {
	lock(key: string, options: StoreLockOptions): Promise<StoreLock>
	/**
	 * Closes what the store opened itself (its pub/sub connection) and stops retrying writes.
	 * Never closes the application's client. Locks still held keep renewing until released.
	 */
	close(): Promise<void>
}

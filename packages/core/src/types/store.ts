/**
 * What a store keeps under one key: an access token, and for account holders the refresh token
 * that renews it. Plain JSON so that shared stores can serialise it; `version` lets a store
 * recognise entries written by another release.
 */
export interface StoredTokenSet {
	/** Entry format version. */
	readonly version: 1
	/** The access token; absent when only a refresh token is kept. */
	readonly accessToken?: string | undefined
	/** `token_type` of the access token, for example `Bearer`. */
	readonly tokenType?: string | undefined
	/** Access token expiry, epoch ms (local clock). */
	readonly expiresAt?: number | undefined
	/** Scope the access token was granted. */
	readonly scope?: readonly string[] | undefined
	/** When the request that produced this entry started, epoch ms: a late result never replaces a newer one. */
	readonly requestedAt: number
	/** An account holder's refresh token (the latest, after rotation). */
	readonly refreshToken?: string | undefined
	/** Refresh token expiry, epoch ms; absent when unknown. */
	readonly refreshExpiresAt?: number | undefined
	/** SHA-256 thumbprint of the client certificate a certificate-bound token is tied to ([RFC 8705 §3.1](https://www.rfc-editor.org/rfc/rfc8705#section-3.1)). */
	readonly certificateThumbprint?: string | undefined
}

/** Options for {@link TokenStore.set}. */
export interface StoreSetOptions {
	/** How long the entry may live, in ms. A store may drop the entry after that. */
	readonly ttl: number
}

/** A held fleet-wide lock. */
export interface StoreLock {
	/** Releases the lock if this holder still owns it. Never throws for a lock that already lapsed. */
	release(): Promise<void>
}

/** Options for {@link TokenStore.lock}. */
export interface StoreLockOptions {
	/** The token request timeout of the manager: a lease should outlive it (a small multiple, renewed while held). */
	readonly timeout: number
	/** Gives up waiting for the lock. */
	readonly signal?: AbortSignal | undefined
}

/**
 * How a store says why an operation failed: put a `storeFailure` property on the error it throws.
 *
 * - `'outage'`: the store could not answer (timeout, connection refused or lost, server restarting).
 *   The manager pauses the store for a moment (one timeout per outage, not one per call), carries on
 *   with its in-process state, keeps rotated refresh tokens it could not write and writes them when the
 *   pause ends. An error without the property is taken as an outage, whatever its class.
 * - `'refused'`: the store answered and will not do it (full, value it cannot keep, entry it cannot
 *   read). Trying again soon will not help, and pausing would not either: the store is not paused, and
 *   a refused write of a refresh-token set fails the call that made it (for example with `StoreFullError`).
 */
export type StoreFailureKind = 'outage' | 'refused'

/** An error a store throws, saying which kind of failure it is (see {@link StoreFailureKind}). */
export interface StoreFailure extends Error {
	/** Outage (try again later, in-process meanwhile) or refusal (it will not be done). */
	readonly storeFailure: StoreFailureKind
}

/**
 * Where tokens live between requests. {@link memoryStore} is the default; a shared store
 * (for example `@tokenwarden/redis`) lets a fleet of processes share tokens.
 *
 * The manager keeps its own copy of the tokens it handed out and reads the store only when that
 * copy is missing or stale, so a store is never on the hot path.
 *
 * The contract:
 * - Every method may fail; a failure is an outage unless the error says `storeFailure: 'refused'`
 *   ({@link StoreFailure}). The manager bounds every call by its `timeout` and treats a call that takes
 *   longer as an outage.
 * - `set` keeps the entry with the later `requestedAt` (newer wins). The manager does not rely on it
 *   alone for refresh-token sets: before writing a set it kept during an outage, it reads the store and
 *   writes only over an older set.
 * - Entries with a `refreshToken` are an account holder's consent: a store must not evict them to make
 *   room; it refuses the write instead.
 * - Keys are opaque strings of at most a few hundred characters; values are plain JSON.
 */
export interface TokenStore {
	/** The entry stored under `key`, or `undefined` when there is none (or it has expired). */
	get(key: string): Promise<StoredTokenSet | undefined>
	/** Writes the entry, unless the stored one has a later `requestedAt` (a late result never overwrites a newer token). */
	set(key: string, value: StoredTokenSet, options: StoreSetOptions): Promise<void>
	/** Removes the entry under `key`, whatever it holds; resolves also when there was none. */
	delete(key: string): Promise<void>
	/**
	 * Deletes the entry only while its access token is still `accessToken`.
	 * Resolves true when it deleted something.
	 */
	compareAndDelete(key: string, accessToken: string): Promise<boolean>
	/**
	 * Optional fleet-wide mutual exclusion for one key. Resolves when the lock is held.
	 * Stores without it rely on the manager's in-process single flight alone.
	 */
	lock?(key: string, options: StoreLockOptions): Promise<StoreLock>
}

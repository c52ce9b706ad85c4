import { randomBytes } from 'node:crypto'
import { AbortError, type Logger, type StoreLock, type StoreLockOptions } from '@tokenwarden/core'
import type { Connection } from './connection.js'
import type { Keyspace } from './keyspace.js'
import { ACQUIRE, evalScript, type LuaScript, RELEASE, RENEW } from './scripts.js'
import type { Wakeups, Watch } from './wakeups.js'

/** What the fleet lock needs from its store. */
export interface FleetLockContext {
	readonly connection: Connection
	/** Runs one operation under the store's command timeout. */
	run<T>(what: string, operation: (signal: AbortSignal) => Promise<T>): Promise<T>
	/** Where a key's lock and its release channel live. */
	readonly keyspace: Keyspace
	/** Fixed lease, or undefined for twice the manager's timeout. */
	readonly lease: number | undefined
	readonly pollInterval: number
	readonly wakeups: Wakeups | undefined
	readonly logger: Logger | undefined
	/** Resolves once a write of `key` that failed (Redis unreachable) has reached Redis; undefined when none is pending. */
	whenWritten(key: string): Promise<void> | undefined
}

/**
 * The fleet-wide lock: SET NX PX with a random owner, renewed by its owner while held, released only
 * by its owner (both in Lua, so a holder whose lease lapsed cannot extend or delete the next holder's
 * lock). Waiters retry when a release is published, when the lease they saw runs out (a holder that
 * died), or every `pollInterval` as a backstop.
 */
export class FleetLocks {
	readonly #context: FleetLockContext
	/** Store key -> the lock this store holds on it (its owner value, and when it was asked for on this host's clock), for fenced writes. */
	readonly #held = new Map<string, { owner: string; since: number }>()

	constructor(context: FleetLockContext) {
		this.#context = context
	}

	/**
	 * The owner value to fence a write of `key` with: only while this store holds the key's lock and only for
	 * a value requested since the lock was asked for (both times from this host's clock). Such a value is
	 * ordered after every other writer by the lock itself; anything older (a set rotated while Redis was
	 * unreachable) must win on `requestedAt` like any other write.
	 */
	fenceFor(key: string, requestedAt: number): string | undefined {
		const held = this.#held.get(key)
		return held !== undefined && requestedAt >= held.since ? held.owner : undefined
	}

	async acquire(key: string, options: StoreLockOptions): Promise<StoreLock> {
		const timeout = options?.timeout
		if (typeof timeout !== 'number' || !Number.isFinite(timeout) || timeout <= 0) {
			throw new TypeError('tokenwarden: redisStore lock needs a positive timeout (ms)')
		}
		const { signal } = options
		const context = this.#context
		// A small multiple of the token request timeout: renewals keep it while the holder works.
		const lease = Math.ceil(context.lease ?? 2 * timeout)
		const lockKey = context.keyspace.lock(key)
		const owner = randomBytes(16).toString('base64url')
		let watch: Watch | undefined
		try {
			for (;;) {
				if (signal?.aborted) throw new AbortError(signal.reason)
				const since = Date.now()
				const left = await this.#attempt(lockKey, context.keyspace.channel(key), owner, lease, signal)
				if (left === 0) return this.#hold(key, lockKey, owner, lease, since)
				if (!watch && context.wakeups) {
					watch = await context.wakeups.watch(lockKey, context.keyspace.channel(key), context.pollInterval)
					// Subscribed only now: a release between the attempt and the subscription went unheard, so try again at once.
					continue
				}
				const wait = Math.min(left, context.pollInterval)
				await (watch ? watch.wait(wait, signal) : sleep(wait, signal))
			}
		} finally {
			watch?.stop()
		}
	}

	/** One SET NX. Returns 0 when taken, else the ms left on the holder's lease. */
	async #attempt(lockKey: string, channel: string, owner: string, lease: number, signal: AbortSignal | undefined): Promise<number> {
		const context = this.#context
		const attempt = context.run('lock', (commandSignal) => this.#eval(ACQUIRE, lockKey, [owner, String(lease)], commandSignal))
		const settled = attempt.then(Number, (error: unknown) => {
			// The SET NX may still reach Redis after we gave up on it; a release queued behind it undoes that.
			this.#release(lockKey, owner, channel).catch(() => {})
			throw error
		})
		if (!signal) return settled
		return new Promise<number>((resolve, reject) => {
			const onAbort = () => {
				// Taken after the caller stopped waiting: hand it back rather than sit on it for a lease.
				settled.then((left) => (left === 0 ? this.#release(lockKey, owner, channel) : undefined)).catch(() => {})
				reject(new AbortError(signal.reason))
			}
			if (signal.aborted) return onAbort()
			signal.addEventListener('abort', onAbort, { once: true })
			settled.then(
				(left) => {
					signal.removeEventListener('abort', onAbort)
					resolve(left)
				},
				(error: unknown) => {
					signal.removeEventListener('abort', onAbort)
					reject(error)
				},
			)
		})
	}

	#hold(key: string, lockKey: string, owner: string, lease: number, since: number): StoreLock {
		const context = this.#context
		this.#held.set(key, { owner, since })
		let released = false
		let renewing = false
		let retry: ReturnType<typeof setTimeout> | undefined
		const forget = () => {
			clearInterval(timer)
			clearTimeout(retry)
			if (this.#held.get(key)?.owner === owner) this.#held.delete(key)
		}
		const renew = async () => {
			if (renewing || !this.#isHeld(key, owner)) return
			renewing = true
			try {
				const extended = await context.run('lock renewal', (signal) => this.#eval(RENEW, lockKey, [owner, String(lease)], signal))
				clearTimeout(retry)
				retry = undefined
				if (Number(extended) !== 1 && !released) {
					forget()
					context.logger?.warn('tokenwarden: fleet lock lease lapsed while held; another process may be requesting the same token', { key })
				}
			} catch (error) {
				// Redis is unreachable (or still loading its data after a restart): the lease runs on. Try again
				// soon rather than a third of a lease later, so an outage shorter than the lease keeps the lock:
				// a rotated set still waiting to be written (release deferred) must not lose it to a peer.
				if (retry === undefined) context.logger?.warn('tokenwarden: could not renew the fleet lock lease', { key, error: (error as Error).message })
				clearTimeout(retry)
				retry = setTimeout(renew, Math.min(context.pollInterval, Math.max(1, Math.floor(lease / 3))))
				retry.unref?.()
			} finally {
				renewing = false
			}
		}
		const timer = setInterval(renew, Math.max(1, Math.floor(lease / 3)))
		timer.unref?.()
		return {
			release: async () => {
				if (released) return
				released = true
				// The holder's write of this key failed and waits to be written again: the lock (renewed
				// meanwhile) stays ours until it lands, so no other process reads the set it replaces and
				// spends a refresh token that was already rotated. Bounded by the write's own expiry.
				const pending = context.whenWritten(key)
				if (pending) {
					pending
						.then(() => {
							forget()
							return this.#release(lockKey, owner, context.keyspace.channel(key))
						})
						.catch(() => {})
					return
				}
				forget()
				await this.#release(lockKey, owner, context.keyspace.channel(key))
			},
		}
	}

	#isHeld(key: string, owner: string): boolean {
		return this.#held.get(key)?.owner === owner
	}

	/** Releases (only the owner's lock) and announces it on the lock's channel. */
	#release(lockKey: string, owner: string, channel: string): Promise<unknown> {
		const context = this.#context
		const publish = context.connection.cluster ? 'SPUBLISH' : 'PUBLISH'
		return context.run('unlock', (signal) => this.#eval(RELEASE, lockKey, [owner, channel, publish], signal))
	}

	#eval(script: LuaScript, lockKey: string, args: string[], signal: AbortSignal): Promise<unknown> {
		const { connection } = this.#context
		return evalScript((command) => connection.send(command, lockKey, signal), script, [lockKey], args)
	}
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
	return new Promise<void>((resolve, reject) => {
		const onAbort = () => {
			clearTimeout(timer)
			reject(new AbortError(signal?.reason))
		}
		const timer = setTimeout(() => {
			signal?.removeEventListener('abort', onAbort)
			resolve()
		}, ms)
		timer.unref?.()
		if (signal?.aborted) return onAbort()
		signal?.addEventListener('abort', onAbort, { once: true })
	})
}

import type { StoredTokenSet, StoreSetOptions } from '@tokenwarden/core'
import { bounded } from './bounded.js'
import { createCodec } from './codec.js'
import { connectionOf } from './connection.js'
import { FleetLocks } from './fleet-lock.js'
import { resolveStoreOptions } from './resolve-options.js'
import { COMPARE_AND_DELETE, evalScript, SET_UNLESS_NEWER } from './scripts.js'
import type { RedisClientLike } from './types/client.js'
import type { RedisStoreOptions, RedisTokenStore } from './types/options.js'
import { Wakeups } from './wakeups.js'
import { WriteReplay } from './write-replay.js'

/**
 * A {@link RedisTokenStore} on a connected node-redis (or ioredis) client: tokens shared by every
 * process on the same Redis, and a fleet-wide lock so that they make one token request per key per
 * token lifetime between them.
 *
 * The application owns the client: the store never connects, closes or reconfigures it, and only
 * opens (and closes) a pub/sub connection of its own with `client.duplicate()`.
 *
 * @example
 * ```ts
 * const redis = await createClient({ url }).on('error', report).connect()
 * const tokens = createTokenManager({ ...options, store: redisStore(redis) })
 * ```
 */
export function redisStore(client: RedisClientLike, options: RedisStoreOptions = {}): RedisTokenStore {
	const config = resolveStoreOptions(options)
	const connection = connectionOf(client)
	const codec = createCodec(config.encryption)
	const { prefix, logger } = config
	const run = <T>(what: string, operation: (signal: AbortSignal) => Promise<T>) => bounded(config.commandTimeout, what, operation)
	const entryKey = (key: string) => `${prefix}${key}`
	const lockKey = (key: string) => `${prefix}lock:${key}`
	const channel = `${prefix}lock-released`
	const wakeups = config.notifications ? new Wakeups(connection, channel, logger) : undefined
	const locks = new FleetLocks({
		connection,
		run,
		lockKey,
		channel,
		lease: config.lease,
		pollInterval: config.pollInterval,
		wakeups,
		logger,
	})

	function write(key: string, value: StoredTokenSet, ttl: number): Promise<unknown> {
		const raw = codec.encode(key, value)
		const args = [raw, String(value.requestedAt), String(Math.max(1, Math.ceil(ttl))), locks.ownerOf(key) ?? '']
		return run('set', (signal) => evalScript(connection, SET_UNLESS_NEWER, [entryKey(key), lockKey(key)], args, signal))
	}

	const replay = new WriteReplay(write, logger)

	return {
		async get(key) {
			const raw = await run('get', (signal) => connection.send(['GET', entryKey(key)], signal))
			if (raw === null || raw === undefined) return undefined
			return codec.decode(key, typeof raw === 'string' ? raw : String(raw))
		},

		async set(key, value, setOptions: StoreSetOptions) {
			const ttl = setOptions?.ttl
			if (typeof ttl !== 'number' || !Number.isFinite(ttl) || ttl <= 0) throw new TypeError('tokenwarden: redisStore set needs a positive ttl (ms)')
			try {
				await write(key, value, ttl)
			} catch (error) {
				if (value.refreshToken !== undefined) replay.remember(key, value, ttl)
				throw error
			}
			replay.written(key, value.requestedAt)
		},

		async delete(key) {
			replay.forget(key)
			await run('delete', (signal) => connection.send(['DEL', entryKey(key)], signal))
		},

		async compareAndDelete(key, accessToken) {
			const deleted = await run('compareAndDelete', (signal) => evalScript(connection, COMPARE_AND_DELETE, [entryKey(key)], codec.matchArgs(accessToken), signal))
			return Number(deleted) === 1
		},

		lock(key, lockOptions) {
			return locks.acquire(key, lockOptions)
		},

		async close() {
			replay.close()
			wakeups?.close()
		},
	}
}

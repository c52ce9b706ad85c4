import type { StoredTokenSet, StoreSetOptions } from '@tokenwarden/core'
import { bounded } from './bounded.js'
import { createCodec } from './codec.js'
import { connectionOf } from './connection.js'
import { FleetLocks } from './fleet-lock.js'
import { RedisStoreError } from './errors.js'
import { clusterKeyspace, standaloneKeyspace } from './keyspace.js'
import { resolveStoreOptions } from './resolve-options.js'
import { COMPARE_AND_DELETE, evalScript, SET_UNLESS_NEWER } from './scripts.js'
import type { RedisClientLike } from './types/client.js'
import type { RedisStoreOptions, RedisTokenStore } from './types/options.js'
import { Wakeups } from './wakeups.js'
import { WriteReplay } from './write-replay.js'

/**
 * A {@link RedisTokenStore} on a connected node-redis (or ioredis) client, or a Redis Cluster client
 * (node-redis `createCluster`, ioredis `Cluster`): tokens shared by every process on the same Redis, and a
 * fleet-wide lock so that they make one token request per key per token lifetime between them.
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
	if (connection.cluster && /[{}]/.test(prefix)) {
		throw new TypeError(`tokenwarden: redisStore prefix must not contain { or } on a Redis Cluster (the store adds the hash tag itself), got ${JSON.stringify(prefix)}`)
	}
	// A refresh-token write counts as done once a replica has it too: on a cluster a master that dies
	// before replicating would otherwise take an acknowledged, rotated refresh token with it (README).
	const replicaAcks = config.replicaAcks ?? (connection.cluster ? 1 : 0)
	const keyspace = connection.cluster ? clusterKeyspace(prefix) : standaloneKeyspace(prefix)
	const run = <T>(what: string, operation: (signal: AbortSignal) => Promise<T>) => bounded(config.commandTimeout, what, operation)
	const wakeups = config.notifications ? new Wakeups(connection, logger) : undefined
	const locks = new FleetLocks({
		connection,
		run,
		keyspace,
		lease: config.lease,
		pollInterval: config.pollInterval,
		wakeups,
		logger,
		whenWritten: (key) => replay.whenWritten(key),
	})

	/** Resolves true when written, false when a newer entry was kept. */
	function write(key: string, value: StoredTokenSet, ttl: number): Promise<boolean> {
		const raw = codec.encode(key, value)
		const entryKey = keyspace.entry(key)
		const keys = [entryKey, keyspace.lock(key)]
		const args = [raw, String(value.requestedAt), String(Math.max(1, Math.ceil(ttl))), locks.fenceFor(key, value.requestedAt) ?? '']
		const replicated = replicaAcks > 0 && value.refreshToken !== undefined
		return run('set', async (signal) => {
			if (!replicated) return Number(await evalScript((command) => connection.send(command, entryKey, signal), SET_UNLESS_NEWER, keys, args)) === 1
			let acks = 0
			const written = await evalScript(
				async (command) => {
					const result = await connection.sendAndWait(command, entryKey, replicaAcks, config.commandTimeout / 2, signal)
					acks = result.acks
					return result.reply
				},
				SET_UNLESS_NEWER,
				keys,
				args,
			)
			if (acks < replicaAcks) {
				throw new RedisStoreError(
					`Redis acknowledged the refresh-token write on ${acks} of ${replicaAcks} replicas within ${Math.floor(config.commandTimeout / 2)} ms`,
					'not-replicated',
				)
			}
			return Number(written) === 1
		})
	}

	const replay = new WriteReplay(write, logger)

	return {
		async get(key) {
			const entryKey = keyspace.entry(key)
			const raw = await run('get', (signal) => connection.send(['GET', entryKey], entryKey, signal))
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
			const entryKey = keyspace.entry(key)
			await run('delete', (signal) => connection.send(['DEL', entryKey], entryKey, signal))
		},

		async compareAndDelete(key, accessToken) {
			const entryKey = keyspace.entry(key)
			const deleted = await run('compareAndDelete', (signal) =>
				evalScript((command) => connection.send(command, entryKey, signal), COMPARE_AND_DELETE, [entryKey], codec.matchArgs(accessToken)),
			)
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

import type { Logger } from '@tokenwarden/core'
import type { RedisStoreEncryption, RedisStoreOptions } from './types/options.js'

/** Defaults of {@link RedisStoreOptions}; the lease default (twice the manager's timeout) is applied per lock. */
export const DEFAULTS = {
	prefix: 'tw:',
	commandTimeout: 1_000,
	pollInterval: 100,
} as const

/** Options after validation, with defaults filled in. */
export interface ResolvedStoreOptions {
	prefix: string
	commandTimeout: number
	lease: number | undefined
	notifications: boolean
	pollInterval: number
	/** Replicas that must acknowledge a refresh-token write; undefined for the default (1 on a cluster, else 0). */
	replicaAcks: number | undefined
	encryption: RedisStoreEncryption | undefined
	logger: Logger | undefined
}

/** Checks the options at the boundary: a mistake is a TypeError now, not a failed store call later. */
export function resolveStoreOptions(options: RedisStoreOptions): ResolvedStoreOptions {
	if (typeof options !== 'object' || options === null) fail('options must be an object')
	const prefix = options.prefix ?? DEFAULTS.prefix
	if (typeof prefix !== 'string') fail('prefix must be a string')
	if (options.notifications !== undefined && typeof options.notifications !== 'boolean') fail('notifications must be a boolean')
	if (options.logger !== undefined) {
		for (const level of ['debug', 'info', 'warn', 'error'] as const) {
			if (typeof options.logger?.[level] !== 'function') fail(`logger.${level} must be a function`)
		}
	}
	return {
		prefix,
		commandTimeout: duration(options.commandTimeout ?? DEFAULTS.commandTimeout, 'commandTimeout'),
		lease: options.lease === undefined ? undefined : duration(options.lease, 'lease'),
		notifications: options.notifications ?? true,
		pollInterval: duration(options.pollInterval ?? DEFAULTS.pollInterval, 'pollInterval'),
		replicaAcks: options.replicaAcks === undefined ? undefined : count(options.replicaAcks, 'replicaAcks'),
		encryption: options.encryption === undefined ? undefined : encryption(options.encryption),
		logger: options.logger,
	}
}

function encryption(value: RedisStoreEncryption): RedisStoreEncryption {
	if (typeof value !== 'object' || value === null) fail('encryption must be an object { keys, current }')
	const { keys, current } = value
	if (typeof keys !== 'object' || keys === null || Object.keys(keys).length === 0) {
		fail('encryption.keys must map key ids to 32-byte keys')
	}
	for (const [kid, key] of Object.entries(keys)) {
		if (kid === '') fail('encryption.keys must not use an empty key id')
		// The message names the key id only: never the key.
		if (!(key instanceof Uint8Array) || key.length !== 32) fail(`encryption.keys["${kid}"] must be 32 bytes (AES-256), for example crypto.randomBytes(32)`)
	}
	if (typeof current !== 'string' || !Object.hasOwn(keys, current)) fail('encryption.current must be one of the ids in encryption.keys')
	if (value.acceptUnencrypted !== undefined && typeof value.acceptUnencrypted !== 'boolean') fail('encryption.acceptUnencrypted must be a boolean')
	return value
}

function duration(value: unknown, name: string): number {
	if (typeof value !== 'number' || !Number.isFinite(value) || value < 1) fail(`${name} must be a number of milliseconds of at least 1`)
	return value
}

function count(value: unknown, name: string): number {
	if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) fail(`${name} must be a whole number of at least 0, got ${String(value)}`)
	return value
}

function fail(message: string): never {
	throw new TypeError(`tokenwarden: redisStore ${message}`)
}

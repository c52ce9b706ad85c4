import { createCipheriv, createDecipheriv, createHmac, createSecretKey, hkdfSync, type KeyObject, randomBytes } from 'node:crypto'
import type { StoredTokenSet } from '@tokenwarden/core'
import { RedisStoreError } from './errors.js'
import type { RedisStoreEncryption } from './types/options.js'

/**
 * Version of the stored JSON. Readers refuse a higher one (written by a newer release) rather than
 * guess at it. Every format keeps `requestedAt` at the top so the Lua scripts can order writes.
 */
const FORMAT = 1
const IV_BYTES = 12
const TAG_BYTES = 16

/** An entry in clear: `{ v, requestedAt, entry }`. */
interface ClearEnvelope {
	v: number
	requestedAt: number
	entry: StoredTokenSet
}

/** A sealed entry: `{ v, requestedAt, kid, iv, data, tag, fingerprint? }` (base64url). */
interface SealedEnvelope {
	v: number
	requestedAt: number
	kid: string
	iv: string
	data: string
	tag: string
	/** Keyed hash of the access token, for compare-and-delete in Lua without the token. */
	fingerprint?: string
}

/** Turns entries into the stored JSON and back. */
export interface Codec {
	encode(key: string, value: StoredTokenSet): string
	/** Throws {@link RedisStoreError} for anything it cannot read or authenticate; never includes the stored text. */
	decode(key: string, raw: string): StoredTokenSet
	/** Arguments of the compare-and-delete script for this access token. */
	matchArgs(accessToken: string): string[]
}

interface Key {
	cipher: KeyObject
	fingerprint: KeyObject
}

/** The codec for the store's options: clear JSON, or AES-256-GCM sealed entries when `encryption` is set. */
export function createCodec(encryption: RedisStoreEncryption | undefined): Codec {
	if (!encryption) {
		return {
			encode: (_key, value) => JSON.stringify({ v: FORMAT, requestedAt: value.requestedAt, entry: value } satisfies ClearEnvelope),
			decode: (_key, raw) => {
				const envelope = parse(raw)
				if ('kid' in envelope) throw new RedisStoreError('Stored entry is encrypted but the store has no encryption keys', 'encryption-mismatch')
				return clearEntry(envelope)
			},
			matchArgs: (accessToken) => [accessToken],
		}
	}
	const keys = new Map<string, Key>()
	for (const [kid, bytes] of Object.entries(encryption.keys)) {
		const raw = Buffer.from(bytes)
		keys.set(kid, {
			cipher: createSecretKey(raw),
			// A separate key for fingerprints: one key is never used by two algorithms.
			fingerprint: createSecretKey(Buffer.from(hkdfSync('sha256', raw, Buffer.alloc(0), 'tokenwarden redis access-token fingerprint', 32))),
		})
		raw.fill(0)
	}
	const current = encryption.current
	const currentKey = keys.get(current) as Key
	const acceptUnencrypted = encryption.acceptUnencrypted === true

	return {
		encode(key, value) {
			const iv = randomBytes(IV_BYTES)
			const cipher = createCipheriv('aes-256-gcm', currentKey.cipher, iv, { authTagLength: TAG_BYTES })
			cipher.setAAD(additionalData(key, current, value.requestedAt))
			const data = Buffer.concat([cipher.update(JSON.stringify(value), 'utf8'), cipher.final()])
			const envelope: SealedEnvelope = {
				v: FORMAT,
				requestedAt: value.requestedAt,
				kid: current,
				iv: iv.toString('base64url'),
				data: data.toString('base64url'),
				tag: cipher.getAuthTag().toString('base64url'),
			}
			if (value.accessToken !== undefined) envelope.fingerprint = fingerprint(currentKey, value.accessToken)
			return JSON.stringify(envelope)
		},
		decode(key, raw) {
			const envelope = parse(raw)
			if (!('kid' in envelope)) {
				if (acceptUnencrypted) return clearEntry(envelope)
				throw new RedisStoreError('Stored entry is in clear but the store encrypts; refused (see encryption.acceptUnencrypted)', 'encryption-mismatch')
			}
			const sealed = envelope
			if (typeof sealed.kid !== 'string' || typeof sealed.iv !== 'string' || typeof sealed.data !== 'string' || typeof sealed.tag !== 'string') {
				throw unreadable()
			}
			const keyOfEntry = keys.get(sealed.kid)
			if (!keyOfEntry) throw new RedisStoreError(`Stored entry is sealed with key id "${sealed.kid}", which is not in encryption.keys`, 'unknown-key')
			const iv = Buffer.from(sealed.iv, 'base64url')
			const tag = Buffer.from(sealed.tag, 'base64url')
			if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES) throw tampered()
			let plain: string
			try {
				const decipher = createDecipheriv('aes-256-gcm', keyOfEntry.cipher, iv, { authTagLength: TAG_BYTES })
				// The entry is bound to its key and its requestedAt: moving it or reordering it fails too.
				decipher.setAAD(additionalData(key, sealed.kid, sealed.requestedAt))
				decipher.setAuthTag(tag)
				plain = Buffer.concat([decipher.update(Buffer.from(sealed.data, 'base64url')), decipher.final()]).toString('utf8')
			} catch {
				throw tampered()
			}
			let value: unknown
			try {
				value = JSON.parse(plain)
			} catch {
				throw unreadable()
			}
			return checkEntry(value)
		},
		matchArgs(accessToken) {
			const args = [acceptUnencrypted ? accessToken : '']
			for (const [kid, entryKey] of keys) args.push(kid, fingerprint(entryKey, accessToken))
			return args
		},
	}
}

function fingerprint(key: Key, accessToken: string): string {
	return createHmac('sha256', key.fingerprint).update(accessToken, 'utf8').digest('base64url')
}

function additionalData(key: string, kid: string, requestedAt: number): Buffer {
	return Buffer.from(JSON.stringify(['tokenwarden-redis', FORMAT, key, kid, requestedAt]), 'utf8')
}

/** Parses the stored JSON. A parse error's message quotes the text, so it is never passed on. */
function parse(raw: string): ClearEnvelope | SealedEnvelope {
	let value: unknown
	try {
		value = JSON.parse(raw)
	} catch {
		throw unreadable()
	}
	if (typeof value !== 'object' || value === null || Array.isArray(value)) throw unreadable()
	const envelope = value as { v?: unknown; requestedAt?: unknown }
	if (typeof envelope.v !== 'number' || typeof envelope.requestedAt !== 'number') throw unreadable()
	if (envelope.v > FORMAT) {
		throw new RedisStoreError(`Stored entry has format ${envelope.v}, written by a newer release of @tokenwarden/redis`, 'unreadable')
	}
	return value as ClearEnvelope | SealedEnvelope
}

function clearEntry(envelope: ClearEnvelope): StoredTokenSet {
	return checkEntry(envelope.entry)
}

const OPTIONAL_STRINGS = ['accessToken', 'tokenType', 'refreshToken', 'certificateThumbprint'] as const
const OPTIONAL_NUMBERS = ['expiresAt', 'refreshExpiresAt'] as const

/** Only entries of the shape the manager wrote are handed back to it. */
function checkEntry(value: unknown): StoredTokenSet {
	if (typeof value !== 'object' || value === null) throw unreadable()
	const entry = value as Record<string, unknown>
	if (entry.version !== 1 || typeof entry.requestedAt !== 'number') throw unreadable()
	for (const name of OPTIONAL_STRINGS) if (entry[name] !== undefined && typeof entry[name] !== 'string') throw unreadable()
	for (const name of OPTIONAL_NUMBERS) if (entry[name] !== undefined && typeof entry[name] !== 'number') throw unreadable()
	if (entry.scope !== undefined && (!Array.isArray(entry.scope) || !entry.scope.every((item) => typeof item === 'string'))) throw unreadable()
	return entry as unknown as StoredTokenSet
}

function unreadable(): RedisStoreError {
	return new RedisStoreError('Stored entry is not a token entry this release can read', 'unreadable')
}

function tampered(): RedisStoreError {
	return new RedisStoreError('Stored entry failed authentication (AES-256-GCM): it was changed, truncated or moved from another key', 'tampered')
}

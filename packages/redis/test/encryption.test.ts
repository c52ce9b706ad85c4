import { randomBytes } from 'node:crypto'
import { inspect } from 'node:util'
import { describe, expect, it } from 'vitest'
import { redisStore, RedisStoreError, type RedisStoreEncryption } from '../src/index.ts'
import { closeLater, connect, entry, uniquePrefix } from './helpers.ts'

const k1 = randomBytes(32)
const k2 = randomBytes(32)

async function setup(encryption: RedisStoreEncryption | undefined, prefix = uniquePrefix()) {
	const client = await connect()
	const store = redisStore(client, { prefix, encryption })
	closeLater(store)
	return { client, store, prefix }
}

async function failure(promise: Promise<unknown>): Promise<RedisStoreError> {
	const error = await promise.then(
		() => undefined,
		(caught: unknown) => caught,
	)
	expect(error).toBeInstanceOf(RedisStoreError)
	return error as RedisStoreError
}

describe('encryption at rest (AES-256-GCM)', () => {
	it('round-trips entries and keeps no token in clear in Redis', async () => {
		const { client, store, prefix } = await setup({ keys: { k1 }, current: 'k1' })
		const value = entry({ accessToken: 'at-secret-value', refreshToken: 'rt-secret-value', scope: ['read'] })
		await store.set('k', value, { ttl: 60_000 })
		expect(await store.get('k')).toEqual(value)
		const raw = (await client.get(`${prefix}k`)) as string
		expect(raw).not.toContain('secret-value')
		expect(raw).not.toContain('read')
		const envelope = JSON.parse(raw)
		expect(envelope).toMatchObject({ v: 1, requestedAt: value.requestedAt, kid: 'k1' })
		expect(Object.keys(envelope).sort()).toEqual(['data', 'fingerprint', 'iv', 'kid', 'requestedAt', 'tag', 'v'])
	})

	it('seals each write with a fresh IV', async () => {
		const { client, store, prefix } = await setup({ keys: { k1 }, current: 'k1' })
		const value = entry({ accessToken: 'at' })
		await store.set('a', value, { ttl: 60_000 })
		await store.set('b', value, { ttl: 60_000 })
		const a = JSON.parse((await client.get(`${prefix}a`)) as string)
		const b = JSON.parse((await client.get(`${prefix}b`)) as string)
		expect(a.iv).not.toBe(b.iv)
		expect(a.data).not.toBe(b.data)
	})

	it('rotates keys: old entries stay readable, new ones use the current key, a retired key id is reported', async () => {
		const prefix = uniquePrefix()
		const before = await setup({ keys: { k1 }, current: 'k1' }, prefix)
		await before.store.set('old', entry({ accessToken: 'at-old' }), { ttl: 60_000 })
		const during = await setup({ keys: { k1, k2 }, current: 'k2' }, prefix)
		expect((await during.store.get('old'))?.accessToken).toBe('at-old')
		await during.store.set('new', entry({ accessToken: 'at-new' }), { ttl: 60_000 })
		expect(JSON.parse((await during.client.get(`${prefix}new`)) as string).kid).toBe('k2')
		// compare-and-delete matches the fingerprint under whichever key sealed the entry
		expect(await during.store.compareAndDelete('old', 'at-wrong')).toBe(false)
		expect(await during.store.compareAndDelete('old', 'at-old')).toBe(true)
		await before.store.set('old', entry({ accessToken: 'at-old' }), { ttl: 60_000 })
		const after = await setup({ keys: { k2 }, current: 'k2' }, prefix)
		expect((await after.store.get('new'))?.accessToken).toBe('at-new')
		const error = await failure(after.store.get('old'))
		expect(error.reason).toBe('unknown-key')
		expect(error.message).toContain('"k1"')
	})

	it('detects tampering: changed ciphertext, tag, requestedAt, key id, or an entry moved to another key', async () => {
		const { client, store, prefix } = await setup({ keys: { k1, k2 }, current: 'k1' })
		await store.set('k', entry({ accessToken: 'at-secret-value' }), { ttl: 60_000 })
		const original = JSON.parse((await client.get(`${prefix}k`)) as string)
		const flip = (text: string) => {
			const bytes = Buffer.from(text, 'base64url')
			bytes[0] = (bytes[0] as number) ^ 1
			return bytes.toString('base64url')
		}
		const variants = {
			data: { ...original, data: flip(original.data) },
			tag: { ...original, tag: flip(original.tag) },
			shortTag: { ...original, tag: Buffer.from(original.tag, 'base64url').subarray(0, 4).toString('base64url') },
			requestedAt: { ...original, requestedAt: original.requestedAt + 1 },
			kid: { ...original, kid: 'k2' },
		}
		for (const [name, variant] of Object.entries(variants)) {
			await client.set(`${prefix}${name}`, JSON.stringify(variant))
			const error = await failure(store.get(name))
			expect(error.reason, name).toBe('tampered')
			expect(inspect(error)).not.toContain('at-secret-value')
		}
		// The untouched entry, copied under another key: bound to its own key by the AAD.
		await client.set(`${prefix}moved`, JSON.stringify(original))
		expect((await failure(store.get('moved'))).reason).toBe('tampered')
		expect((await store.get('k'))?.accessToken).toBe('at-secret-value')
	})

	it('refuses clear entries when encrypting (unless acceptUnencrypted), and sealed ones without keys', async () => {
		const prefix = uniquePrefix()
		const clear = await setup(undefined, prefix)
		await clear.store.set('clear', entry({ accessToken: 'at-clear' }), { ttl: 60_000 })
		const sealed = await setup({ keys: { k1 }, current: 'k1' }, prefix)
		await sealed.store.set('sealed', entry({ accessToken: 'at-sealed' }), { ttl: 60_000 })
		expect((await failure(sealed.store.get('clear'))).reason).toBe('encryption-mismatch')
		expect(await sealed.store.compareAndDelete('clear', 'at-clear')).toBe(false)
		expect((await failure(clear.store.get('sealed'))).reason).toBe('encryption-mismatch')
		const migrating = await setup({ keys: { k1 }, current: 'k1', acceptUnencrypted: true }, prefix)
		expect((await migrating.store.get('clear'))?.accessToken).toBe('at-clear')
		expect((await migrating.store.get('sealed'))?.accessToken).toBe('at-sealed')
		expect(await migrating.store.compareAndDelete('clear', 'at-clear')).toBe(true)
	})

	it('keeps keys out of errors, inspect output and the store object', async () => {
		const client = await connect()
		const store = redisStore(client, { prefix: uniquePrefix(), encryption: { keys: { k1 }, current: 'k1' } })
		closeLater(store)
		const hex = k1.toString('hex')
		const base64 = k1.toString('base64')
		const shown = inspect(store, { depth: 5, showHidden: true }) + JSON.stringify(Object.keys(store))
		expect(shown).not.toContain(hex)
		expect(shown).not.toContain(base64)
		try {
			redisStore(client, { encryption: { keys: { k1: k1.subarray(0, 31) }, current: 'k1' } })
		} catch (error) {
			expect(inspect(error)).not.toContain(k1.subarray(0, 31).toString('hex'))
		}
	})
})

import { StoreFullError } from './errors.js'
import type { Clock } from './types/options.js'
import type { StoredTokenSet, StoreSetOptions, TokenStore } from './types/store.js'
import { integer, methods, plainObject } from './validators.js'

/** Options of {@link memoryStore}. */
export interface MemoryStoreOptions {
	/** Most access-token entries kept; the least recently used is evicted past it (it can be obtained again). Default 10 000. */
	maxEntries?: number | undefined
	/** Most refresh-token sets kept. They are never evicted: past the bound, storing a new one throws {@link StoreFullError}. Default 100 000. */
	maxRefreshEntries?: number | undefined
	/** Time source for entry expiry. Default `Date.now`. */
	clock?: Pick<Clock, 'now'> | undefined
}

interface Slot {
	value: StoredTokenSet
	expiresAt: number
}

/**
 * The default, per-process store.
 *
 * Bound policy: entries without a refresh token are an LRU cache of `maxEntries` (losing one costs a
 * token request). Entries with a refresh token are an account holder's consent: losing one would send
 * the holder back through consent and 2FA, so they are never evicted. When `maxRefreshEntries` is
 * reached, storing a new holder's set throws {@link StoreFullError} (existing holders keep working)
 * until a set expires or is deleted (`logout`, `revoke`).
 */
export function memoryStore(options: MemoryStoreOptions = {}): TokenStore {
	plainObject(options, 'memoryStore options', ['maxEntries', 'maxRefreshEntries', 'clock'])
	const maxEntries = integer(options.maxEntries ?? 10_000, 'memoryStore maxEntries', { min: 1 })
	const maxRefreshEntries = integer(options.maxRefreshEntries ?? 100_000, 'memoryStore maxRefreshEntries', { min: 1 })
	if (options.clock !== undefined) methods(options.clock, 'memoryStore clock', ['now'], 'an object with now()')
	const now = options.clock ? () => options.clock!.now() : () => Date.now()
	const accessEntries = new Map<string, Slot>()
	const refreshEntries = new Map<string, Slot>()

	const read = (key: string): Slot | undefined => {
		const map = refreshEntries.has(key) ? refreshEntries : accessEntries
		const slot = map.get(key)
		if (!slot) return undefined
		if (slot.expiresAt <= now()) {
			map.delete(key)
			return undefined
		}
		if (map === accessEntries) {
			// Re-insert to mark as most recently used (Map keeps insertion order).
			accessEntries.delete(key)
			accessEntries.set(key, slot)
		}
		return slot
	}

	return {
		async get(key) {
			return read(key)?.value
		},
		async set(key: string, value: StoredTokenSet, { ttl }: StoreSetOptions) {
			// A late result never overwrites a newer token (the result of a request started later).
			const current = read(key)
			if (current && current.value.requestedAt > value.requestedAt) return
			const slot = { value, expiresAt: now() + ttl }
			if (value.refreshToken !== undefined) {
				if (!refreshEntries.has(key)) {
					if (refreshEntries.size >= maxRefreshEntries) purgeExpired(refreshEntries, now())
					if (refreshEntries.size >= maxRefreshEntries) throw new StoreFullError(maxRefreshEntries)
				}
				accessEntries.delete(key)
				refreshEntries.set(key, slot)
				return
			}
			refreshEntries.delete(key)
			accessEntries.delete(key)
			accessEntries.set(key, slot)
			while (accessEntries.size > maxEntries) {
				const oldest = accessEntries.keys().next().value as string
				accessEntries.delete(oldest)
			}
		},
		async delete(key) {
			accessEntries.delete(key)
			refreshEntries.delete(key)
		},
		async compareAndDelete(key, accessToken) {
			const slot = read(key)
			if (!slot || slot.value.accessToken !== accessToken) return false
			accessEntries.delete(key)
			refreshEntries.delete(key)
			return true
		},
	}
}

function purgeExpired(map: Map<string, Slot>, at: number): void {
	for (const [key, slot] of map) if (slot.expiresAt <= at) map.delete(key)
}

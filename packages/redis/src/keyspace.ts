import { createHash } from 'node:crypto'

/** Where one store key's entry, lock and wake-up channel live in Redis. */
export interface Keyspace {
	/** The entry (token or refresh-token set). */
	entry(key: string): string
	/** The fleet lock on the entry. */
	lock(key: string): string
	/** The channel the release of `lock(key)` is announced on. */
	channel(key: string): string
}

/**
 * A standalone Redis: `<prefix><key>`, `<prefix>lock:<key>`, one channel `<prefix>lock-released`.
 * (The layout of every release before cluster support, kept so that stored refresh tokens stay found.)
 */
export function standaloneKeyspace(prefix: string): Keyspace {
	const channel = `${prefix}lock-released`
	return {
		entry: (key) => `${prefix}${key}`,
		lock: (key) => `${prefix}lock:${key}`,
		channel: () => channel,
	}
}

/**
 * A Redis Cluster: every name starts with `<prefix>{<tag>}`, and Redis hashes only the text between the
 * braces to pick the slot ([cluster spec, hash tags](https://redis.io/docs/latest/operate/oss_and_stack/reference/cluster-spec/#hash-tags)).
 * The tag is {@link slotTag}: the account holder for a holder's keys, else the key itself. So a key's entry,
 * its lock and its channel are always in one slot (each script touches one key's entry and lock), and an
 * account holder's grant, the grant's lock and every access token of that holder share that slot too,
 * while different holders and different client-credentials keys spread over the cluster.
 */
export function clusterKeyspace(prefix: string): Keyspace {
	const tagged = (key: string) => `${prefix}{${slotTag(key)}}`
	return {
		entry: (key) => `${tagged(key)}${key}`,
		lock: (key) => `${tagged(key)}lock:${key}`,
		channel: (key) => `${tagged(key)}lock-released`,
	}
}

/** `tokenwarden:v1:<token url>:<client id>:<scope>:s:<subject>`: an access token of an account holder (parts URI-encoded). */
const HOLDER_TOKEN = /^tokenwarden:v1:([^:]*):([^:]*):[^:]*:s%3A([^:]*)$/
/** `tokenwarden:v1:grant:<token url>:<client id>:<subject>`: an account holder's refresh-token set. */
const HOLDER_GRANT = /^tokenwarden:v1:grant:([^:]*):([^:]*):([^:]*)$/

/**
 * The hash tag of a store key: 12 base64url characters of SHA-256 over the account holder (token URL,
 * client id, subject) when the key is one of a holder's keys, else over the whole key. Hashing keeps keys
 * short whatever the subject, and base64url never contains a brace.
 */
export function slotTag(key: string): string {
	const holder = HOLDER_GRANT.exec(key) ?? HOLDER_TOKEN.exec(key)
	const identity = holder ? `holder:${holder[1]}:${holder[2]}:${holder[3]}` : `key:${key}`
	return createHash('sha256').update(identity).digest('base64url').slice(0, 12)
}

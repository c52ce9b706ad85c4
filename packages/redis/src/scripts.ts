import { createHash } from 'node:crypto'

/** A Lua script, sent by its SHA-1 once Redis has cached it. */
export interface LuaScript {
	readonly source: string
	readonly sha: string
}

function lua(source: string): LuaScript {
	return { source, sha: createHash('sha1').update(source).digest('hex') }
}

/**
 * EVALSHA, falling back to EVAL when Redis does not know the script (first use, restart, SCRIPT FLUSH,
 * a replica just promoted: each node has its own script cache). Scripts run atomically: nothing else
 * runs on the server between their reads and writes. Every key a script touches is in `keys` and, on a
 * cluster, in one slot (see keyspace.ts), so the cluster client routes it by those keys.
 */
export async function evalScript(send: (args: readonly string[]) => Promise<unknown>, script: LuaScript, keys: readonly string[], args: readonly string[]): Promise<unknown> {
	const rest = [String(keys.length), ...keys, ...args]
	try {
		return await send(['EVALSHA', script.sha, ...rest])
	} catch (error) {
		if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error
		return send(['EVAL', script.source, ...rest])
	}
}

/**
 * Writes an entry unless the stored one was requested later (a late result never overwrites a newer
 * token). One exception, for clocks skewed between hosts: a value the writer requested *while it held
 * the entry's fleet lock* (the store passes its owner only then, see `FleetLocks.fenceFor`) is written
 * while that lock is still the writer's, because the lock already orders it after every other writer.
 * A value requested before the lock was taken (a refresh-token set rotated while Redis was unreachable,
 * written once it is back) is newer-wins like any other: it never replaces a set rotated since.
 * KEYS: entry, its lock (one slot). ARGV: value, requestedAt, ttl ms, lock owner of the writer or ''.
 * Returns 1 when written, 0 when a newer entry was kept.
 */
export const SET_UNLESS_NEWER = lua(`
if ARGV[4] == '' or redis.call('GET', KEYS[2]) ~= ARGV[4] then
  local current = redis.call('GET', KEYS[1])
  if current then
    local ok, entry = pcall(cjson.decode, current)
    if ok and type(entry) == 'table' and type(entry.requestedAt) == 'number' and entry.requestedAt > tonumber(ARGV[2]) then
      return 0
    end
  end
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[3])
return 1
`)

/**
 * Deletes the entry only while it holds the given access token. A sealed entry carries a keyed
 * fingerprint of its access token instead of the token.
 * KEYS: entry. ARGV: access token in clear or '', then pairs of key id and fingerprint.
 * Returns 1 when deleted.
 */
export const COMPARE_AND_DELETE = lua(`
local current = redis.call('GET', KEYS[1])
if not current then return 0 end
local ok, entry = pcall(cjson.decode, current)
if not ok or type(entry) ~= 'table' then return 0 end
local match = false
if type(entry.kid) == 'string' then
  for i = 2, #ARGV - 1, 2 do
    if ARGV[i] == entry.kid and ARGV[i + 1] == entry.fingerprint then match = true end
  end
elseif type(entry.entry) == 'table' then
  match = ARGV[1] ~= '' and entry.entry.accessToken == ARGV[1]
end
if not match then return 0 end
redis.call('DEL', KEYS[1])
return 1
`)

/**
 * Takes the lock (SET NX PX with a random owner), or says how long the current lease has left.
 * A lock key without expiry (written by hand) gets the lease, so it cannot block the fleet forever.
 * KEYS: lock. ARGV: owner, lease ms. Returns 0 when taken, else the ms left on the lease (at least 1).
 */
export const ACQUIRE = lua(`
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 0 end
local left = redis.call('PTTL', KEYS[1])
if left == -1 then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return tonumber(ARGV[2])
end
if left < 1 then return 1 end
return left
`)

/** Extends the lease, only for its owner. KEYS: lock. ARGV: owner, lease ms. Returns 1 when extended. */
export const RENEW = lua(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
`)

/**
 * Releases the lock, only for its owner, and tells waiters in other processes at once: `PUBLISH` on a
 * standalone Redis, `SPUBLISH` on a cluster (the channel is hash-tagged into the lock's slot, so the
 * message stays on that shard). A server without `SPUBLISH` (before Redis 7) still releases: waiters poll.
 * KEYS: lock. ARGV: owner, channel, PUBLISH or SPUBLISH. Returns 1 when released.
 */
export const RELEASE = lua(`
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
pcall(redis.call, ARGV[3], ARGV[2], KEYS[1])
return 1
`)

export { redisStore } from './redis-store.js'
export { RedisStoreError } from './errors.js'
export type { RedisStoreErrorReason } from './errors.js'
export type { RedisStoreEncryption, RedisStoreOptions, RedisTokenStore } from './types/options.js'
export type {
	IoredisClient,
	IoredisCluster,
	IoredisClusterSubscriber,
	IoredisSubscriber,
	NodeRedisClient,
	NodeRedisCluster,
	NodeRedisClusterSubscriber,
	NodeRedisSubscriber,
	RedisClientLike,
	RedisClusterLike,
} from './types/client.js'

import type { TestProject } from 'vitest/node'
import { type ClusterNode, startRedisCluster } from './redis-cluster.ts'
import { startRedisServer } from './redis-server.ts'

declare module 'vitest' {
	export interface ProvidedContext {
		redisUrl: string
		/** The nodes of a local Redis Cluster (three masters, three replicas) shared by the cluster tests. */
		clusterNodes: ClusterNode[]
	}
}

/**
 * One real redis-server for the Redis tests: REDIS_URL when set, else one started here on a free
 * port and stopped afterwards; and a local Redis Cluster (six redis-server on free ports) for the cluster tests. Without redis-server the tests fail (with how to get it), never skip.
 */
export default async function setup(project: TestProject) {
	const cluster = await startRedisCluster()
	project.provide('clusterNodes', [...cluster.nodes])
	const fromEnvironment = process.env.REDIS_URL
	if (fromEnvironment) {
		project.provide('redisUrl', fromEnvironment)
		return () => cluster.dispose()
	}
	const server = await startRedisServer().catch(async (error: unknown) => {
		await cluster.dispose()
		throw error
	})
	project.provide('redisUrl', server.url)
	return async () => {
		await server.dispose()
		await cluster.dispose()
	}
}

import type { TestProject } from 'vitest/node'
import { startRedisServer } from './redis-server.ts'

declare module 'vitest' {
	export interface ProvidedContext {
		redisUrl: string
	}
}

/**
 * One real redis-server for the Redis tests: REDIS_URL when set, else one started here on a free
 * port and stopped afterwards. Without redis-server the tests fail (with how to get it), never skip.
 */
export default async function setup(project: TestProject) {
	const fromEnvironment = process.env.REDIS_URL
	if (fromEnvironment) {
		project.provide('redisUrl', fromEnvironment)
		return
	}
	const server = await startRedisServer()
	project.provide('redisUrl', server.url)
	return () => server.dispose()
}

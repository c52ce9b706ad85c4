import { randomBytes } from 'node:crypto'
import { Cluster } from 'ioredis'
import { createClient, createCluster } from 'redis'
import type { ClusterNode } from './redis-cluster.ts'
import { afterEach, inject } from 'vitest'

export type Client = Awaited<ReturnType<typeof connect>>

const opened: Array<{ close(): Promise<unknown> }> = []

/** Closes in reverse order: what was opened last (stores, clients) before what it used (servers). */
afterEach(async () => {
	for (const item of opened.splice(0).reverse()) await item.close().catch(() => {})
})

/** A connected node-redis client to the test Redis (closed after the test). Errors are expected in fault tests. */
export async function connect(url: string = inject('redisUrl'), options: Parameters<typeof createClient>[0] = {}) {
	const client = createClient({ url, ...options, socket: { reconnectStrategy: () => 50, ...options.socket } })
	client.on('error', () => {})
	await client.connect()
	opened.push({ close: () => (client.isOpen ? client.close() : Promise.resolve()) })
	return client
}

/** A connected node-redis cluster client (`createCluster`) on the test cluster (closed after the test). */
export async function connectCluster(nodes: readonly ClusterNode[] = inject('clusterNodes')) {
	const cluster = createCluster({
		rootNodes: nodes.map(({ host, port }) => ({ url: `redis://${host}:${port}` })),
		defaults: { socket: { reconnectStrategy: () => 50, connectTimeout: 500 } },
	})
	cluster.on('error', () => {})
	await cluster.connect()
	opened.push({ close: () => (cluster.isOpen ? cluster.close() : Promise.resolve()) })
	return cluster
}

/** A connected ioredis `Cluster` on the test cluster (closed after the test). */
export async function connectIoredisCluster(nodes: readonly ClusterNode[] = inject('clusterNodes')): Promise<Cluster> {
	const cluster = new Cluster(
		nodes.map(({ host, port }) => ({ host, port })),
		{ clusterRetryStrategy: () => 50 },
	)
	cluster.on('error', () => {})
	await new Promise<void>((resolve, reject) => {
		cluster.once('ready', resolve)
		cluster.once('error', reject)
	})
	opened.push({ close: async () => cluster.disconnect() })
	return cluster
}

/** Closes something at the end of the test. */
export function closeLater(item: { close(): Promise<unknown> }): void {
	opened.push(item)
}

/** A key prefix no other test uses (tests share one Redis). */
export function uniquePrefix(): string {
	return `test:${randomBytes(6).toString('hex')}:`
}

export function entry(fields: Partial<{ accessToken: string; requestedAt: number; expiresAt: number; refreshToken: string; scope: string[] }> = {}) {
	const requestedAt = fields.requestedAt ?? Date.now()
	return { version: 1 as const, tokenType: 'Bearer', expiresAt: requestedAt + 60_000, ...fields, requestedAt }
}

/** Resolves after `ms` (real time: these tests run against a real Redis). */
export function delay(ms: number): Promise<void> {
	return new Promise((resolve) => setTimeout(resolve, ms))
}

/** Settles with the promise, or rejects when it has not settled within `ms`: a hang fails the test instead of timing it out. */
export function within<T>(promise: Promise<T>, ms: number, what = 'operation'): Promise<T> {
	return new Promise<T>((resolve, reject) => {
		const timer = setTimeout(() => reject(new Error(`${what} did not settle within ${ms} ms`)), ms)
		promise.then(
			(value) => {
				clearTimeout(timer)
				resolve(value)
			},
			(error: unknown) => {
				clearTimeout(timer)
				reject(error)
			},
		)
	})
}

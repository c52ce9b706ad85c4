import { type ChildProcess, fork } from 'node:child_process'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** What each fleet process is told at start. */
export interface WorkerConfig {
	id: number
	redisUrl: string
	/** Nodes of a Redis Cluster to use (node-redis createCluster) instead of `redisUrl`. */
	cluster?: ReadonlyArray<{ host: string; port: number }> | undefined
	tokenUrl: string
	prefix: string
	/** The manager's timeout (ms): the lock lease is twice this. */
	timeout: number
	refreshAhead: number
	expiryMargin: number
	commandTimeout: number
	/** Lock lease (ms) instead of twice the timeout. */
	lease?: number | undefined
	/** Token request retries of the manager (default 2). */
	retryLimit?: number | undefined
}

export type WorkerRequest =
	| { id: number; op: 'burst'; count: number; subject?: string | undefined }
	| { id: number; op: 'exchange'; code: string; subject: string }
	| { id: number; op: 'holders'; subjects: string[]; forceRefresh: boolean }
	| { id: number; op: 'exit' }

type WithoutId<T> = T extends unknown ? Omit<T, 'id'> : never

export interface WorkerReply {
	id: number
	/** Distinct access tokens the burst got. */
	tokens: string[]
	/** Distinct error names. */
	errors: string[]
	fulfilled: number
	/** Longest single getToken, ms. */
	slowest: number
	elapsed: number
	/** Types of the manager events since the last reply. */
	events: string[]
	/** Unhandled promise rejections in the process so far. */
	unhandled?: number
}

const worker = fileURLToPath(new URL('./fixtures/fleet-worker.ts', import.meta.url))
const hooks = new URL('../../../test-support/source-hooks.ts', import.meta.url).href

/**
 * N child processes (child_process.fork of fixtures/fleet-worker.ts on this Node 24, from source),
 * each with its own Redis client and token manager sharing one store prefix.
 */
export async function startFleet(size: number, config: Omit<WorkerConfig, 'id'>) {
	const [major = 0] = process.versions.node.split('.').map(Number)
	if (major < 23) throw new Error(`the fleet tests run workers as .ts with Node 24 (process.execPath is Node ${process.versions.node}); run them through pnpm`)
	let nextId = 1
	const pending = new Map<number, (reply: WorkerReply) => void>()
	const workers: ChildProcess[] = []
	const readies: Array<Promise<void>> = []
	for (let index = 0; index < size; index++) {
		const child = fork(worker, [JSON.stringify({ ...config, id: index })], {
			execArgv: ['--import', hooks, '--no-warnings'],
			stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
			// Compiled code is cached between workers and runs: eight processes load the same modules.
			env: { ...process.env, NODE_COMPILE_CACHE: join(tmpdir(), 'tokenwarden-test-compile-cache') },
		})
		workers.push(child)
		readies.push(
			new Promise<void>((resolve, reject) => {
				child.once('error', reject)
				child.once('exit', (code) => reject(new Error(`fleet worker ${index} exited with ${code} before it was ready`)))
				child.on('message', (reply: WorkerReply) => {
					if (reply.id === 0) return resolve()
					pending.get(reply.id)?.(reply)
					pending.delete(reply.id)
				})
			}),
		)
	}
	try {
		await Promise.all(readies)
	} catch (error) {
		for (const child of workers) child.kill('SIGKILL')
		throw error
	}
	for (const child of workers) child.removeAllListeners('exit')

	function ask(index: number, request: WithoutId<WorkerRequest>): Promise<WorkerReply> {
		const child = workers[index] as ChildProcess
		const id = nextId++
		return new Promise<WorkerReply>((resolve, reject) => {
			pending.set(id, resolve)
			child.once('exit', () => reject(new Error(`fleet worker ${index} exited`)))
			child.send({ ...request, id })
		})
	}

	return {
		workers,
		/** `count` concurrent getToken calls in every worker (or those listed) at once. */
		burst(count: number, options: { subject?: string; only?: number[] } = {}): Promise<WorkerReply[]> {
			const indexes = options.only ?? workers.map((_child, index) => index)
			return Promise.all(indexes.map((index) => ask(index, { op: 'burst', count, subject: options.subject })))
		},
		exchange(index: number, code: string, subject: string): Promise<WorkerReply> {
			return ask(index, { op: 'exchange', code, subject })
		},
		/** One getToken per account holder in one worker, all at once. */
		holders(index: number, subjects: string[], forceRefresh = false): Promise<WorkerReply> {
			return ask(index, { op: 'holders', subjects, forceRefresh })
		},
		kill(index: number): Promise<void> {
			const child = workers[index] as ChildProcess
			return new Promise((resolve) => {
				child.once('exit', () => resolve())
				child.kill('SIGKILL')
			})
		},
		async close(): Promise<void> {
			await Promise.all(
				workers.map(
					(child) =>
						new Promise<void>((resolve) => {
							if (child.exitCode !== null || child.signalCode !== null) return resolve()
							const timer = setTimeout(() => child.kill('SIGKILL'), 5_000)
							child.once('exit', () => {
								clearTimeout(timer)
								resolve()
							})
							child.send({ id: nextId++, op: 'exit' })
						}),
				),
			)
		},
	}
}

export type Fleet = Awaited<ReturnType<typeof startFleet>>

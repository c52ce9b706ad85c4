import { type ChildProcess, execFile } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { freePort, launch } from './redis-server.ts'

const run = promisify(execFile)

/** One node of a local cluster. */
export interface ClusterNode {
	readonly host: string
	readonly port: number
}

/** A Redis Cluster this process started: three masters and three replicas of redis-server on 127.0.0.1. */
export interface RedisCluster {
	readonly nodes: readonly ClusterNode[]
	/** `CLUSTER NODES` of a live node, parsed: who is master, of which slots, who replicates whom. */
	topology(): Promise<Array<{ id: string; port: number; master: boolean; masterId: string | undefined; slots: string[]; failed: boolean }>>
	/** Stops one node (SIGKILL by default) and waits for the process to exit. */
	stop(port: number, signal?: NodeJS.Signals): Promise<void>
	/** Starts a stopped node again on its port and node file (it rejoins, as a replica once its master was replaced). */
	start(port: number): Promise<void>
	/** Resolves once `CLUSTER INFO` says ok on every running node, every slot is served and every running replica is in sync. */
	waitHealthy(timeoutMs?: number): Promise<void>
	/** The process id of a running node (for SIGSTOP / SIGCONT). */
	pid(port: number): number
	/** Runs a command on one node with redis-cli. */
	cli(port: number, ...args: string[]): Promise<string>
	dispose(): Promise<void>
}

/**
 * Starts `redis-server --cluster-enabled yes` six times on free loopback ports and forms a cluster with
 * `redis-cli --cluster create … --cluster-replicas 1 --cluster-yes`. A node that was stopped comes back
 * with its node file and rejoins; the node timeout is 1 s, so a dead master's replica is promoted within a
 * few seconds.
 */
export async function startRedisCluster(): Promise<RedisCluster> {
	const root = mkdtempSync(join(tmpdir(), 'tokenwarden-cluster-'))
	const ports: number[] = []
	for (let index = 0; index < 6; index++) ports.push(await freePort())
	const processes = new Map<number, ChildProcess>()
	const argsOf = (port: number) => {
		const dir = join(root, String(port))
		mkdirSync(dir, { recursive: true })
		return [
			'--port',
			String(port),
			'--bind',
			'127.0.0.1',
			'--dir',
			dir,
			'--cluster-enabled',
			'yes',
			'--cluster-config-file',
			'nodes.conf',
			'--cluster-node-timeout',
			'1000',
			'--save',
			'',
			// No persistence: a node that comes back rejoins as a replica and copies its master (and an
			// fsync per write would slow every lock command on a busy machine).
			'--appendonly',
			'no',
			// Replicas sync at once rather than after the default 5 s wait for more replicas.
			'--repl-diskless-sync-delay',
			'0',
			'--daemonize',
			'no',
		]
	}
	const start = async (port: number) => {
		processes.set(port, await launch(argsOf(port), port))
	}
	const stop = async (port: number, signal: NodeJS.Signals = 'SIGKILL') => {
		const child = processes.get(port)
		processes.delete(port)
		if (!child || child.exitCode !== null || child.signalCode !== null) return
		await new Promise<void>((resolve) => {
			child.once('exit', () => resolve())
			child.kill(signal)
		})
	}
	const cli = async (port: number, ...args: string[]) => (await run('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...args], { timeout: 10_000 })).stdout
	const dispose = async () => {
		await Promise.all([...processes.keys()].map((port) => stop(port, 'SIGKILL')))
		rmSync(root, { recursive: true, force: true })
	}
	try {
		await Promise.all(ports.map(start))
		await run('redis-cli', ['--cluster', 'create', ...ports.map((port) => `127.0.0.1:${port}`), '--cluster-replicas', '1', '--cluster-yes'], { timeout: 30_000 })
	} catch (error) {
		await dispose()
		throw error
	}
	const cluster: RedisCluster = {
		nodes: ports.map((port) => ({ host: '127.0.0.1', port })),
		async topology() {
			const live = [...processes.keys()]
			const text = await cli(live[0] as number, 'CLUSTER', 'NODES')
			return text
				.trim()
				.split('\n')
				.map((line) => {
					const [id = '', address = '', flags = '', masterId = '', , , , , ...slots] = line.split(' ')
					return {
						id,
						port: Number(address.split('@')[0]?.split(':')[1]),
						master: flags.includes('master'),
						masterId: masterId === '-' ? undefined : masterId,
						slots,
						failed: flags.includes('fail'),
					}
				})
		},
		stop,
		start,
		pid: (port) => processes.get(port)?.pid as number,
		async waitHealthy(timeoutMs = 20_000) {
			const deadline = Date.now() + timeoutMs
			for (;;) {
				const infos = await Promise.all(
					[...processes.keys()].map(async (port) => {
						try {
							return `${await cli(port, 'CLUSTER', 'INFO')}${await cli(port, 'INFO', 'replication')}`
						} catch {
							return ''
						}
					}),
				)
				const synced = (info: string) => !info.includes('role:slave') || info.includes('master_link_status:up')
				if (infos.every((info) => info.includes('cluster_state:ok') && info.includes('cluster_slots_ok:16384') && synced(info))) return
				if (Date.now() > deadline) throw new Error(`the local Redis Cluster did not become healthy within ${timeoutMs} ms`)
				await new Promise((resolve) => setTimeout(resolve, 100))
			}
		},
		cli,
		dispose,
	}
	try {
		await cluster.waitHealthy()
	} catch (error) {
		await dispose()
		throw error
	}
	return cluster
}

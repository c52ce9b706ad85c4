import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer, Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** A redis-server this process started, on 127.0.0.1. */
export interface RedisServer {
	readonly url: string
	readonly port: number
	/** Stops it (SIGTERM, or SIGKILL for a crash) and waits for the process to exit. */
	stop(signal?: NodeJS.Signals): Promise<void>
	/** Starts it again on the same port and data directory (after `stop`). */
	start(): Promise<void>
	/** Sends a signal to the running process (SIGSTOP hangs it with its connections open, SIGCONT resumes it). */
	signal(signal: NodeJS.Signals): void
	/** Stops it for good and removes its data directory. */
	dispose(): Promise<void>
}

export interface RedisServerOptions {
	/** Keep data across `stop`/`start` (append-only file, fsync on every write). Default: no persistence. */
	persistent?: boolean
}

const HOW_TO_GET_IT =
	'redis-server is needed for the @tokenwarden/redis tests and was not found on PATH. ' +
	'Install it (Debian/Ubuntu: `apt-get install redis-server`, macOS: `brew install redis`), ' +
	'(REDIS_URL can point most tests at an existing Redis, which they write under their own key prefixes; ' +
	'the fault tests always start and stop a redis-server of their own.)'

/** A free TCP port on 127.0.0.1 (the OS picks it; a tiny window remains before redis-server binds it). */
export function freePort(): Promise<number> {
	return new Promise((resolve, reject) => {
		const server = createServer()
		server.unref()
		server.on('error', reject)
		server.listen(0, '127.0.0.1', () => {
			const address = server.address()
			server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))))
		})
	})
}

/** Starts `redis-server --port <free> --save '' --appendonly no` (or persistent) on 127.0.0.1. */
export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServer> {
	const port = await freePort()
	const dir = mkdtempSync(join(tmpdir(), 'tokenwarden-redis-'))
	const args = [
		'--port',
		String(port),
		'--bind',
		'127.0.0.1',
		'--dir',
		dir,
		'--save',
		'',
		'--daemonize',
		'no',
		...(options.persistent ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no']),
	]
	let child: ChildProcess | undefined
	const start = async () => {
		child = await launch(args, port)
	}
	const stop = async (signal: NodeJS.Signals = 'SIGTERM') => {
		const running = child
		child = undefined
		if (!running || running.exitCode !== null || running.signalCode !== null) return
		await new Promise<void>((resolve) => {
			running.once('exit', () => resolve())
			running.kill(signal)
		})
	}
	await start()
	return {
		url: `redis://127.0.0.1:${port}`,
		port,
		stop,
		start,
		signal(signal) {
			child?.kill(signal)
		},
		async dispose() {
			child?.kill('SIGCONT')
			await stop()
			rmSync(dir, { recursive: true, force: true })
		},
	}
}

export async function launch(args: string[], port: number): Promise<ChildProcess> {
	const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] })
	let output = ''
	child.stdout?.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000)))
	child.stderr?.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000)))
	const failed = new Promise<never>((_resolve, reject) => {
		child.once('error', (error: NodeJS.ErrnoException) => {
			reject(error.code === 'ENOENT' ? new Error(HOW_TO_GET_IT) : error)
		})
		child.once('exit', (code) => reject(new Error(`redis-server exited with code ${code} before accepting connections:\n${output}`)))
	})
	failed.catch(() => {})
	const deadline = Date.now() + 10_000
	while (!(await answersPing(port))) {
		await Promise.race([failed, new Promise((resolve) => setTimeout(resolve, 20))])
		if (Date.now() > deadline) {
			child.kill('SIGKILL')
			throw new Error(`redis-server did not accept connections on port ${port} within 10 s:\n${output}`)
		}
	}
	// From here on an exit is a stop, not a failed start.
	child.removeAllListeners('exit')
	return child
}

function answersPing(port: number): Promise<boolean> {
	return new Promise((resolve) => {
		const socket = new Socket()
		const done = (ok: boolean) => {
			socket.destroy()
			resolve(ok)
		}
		socket.setTimeout(500, () => done(false))
		socket.once('error', () => done(false))
		socket.once('data', (data) => done(data.toString().startsWith('+PONG')))
		socket.connect(port, '127.0.0.1', () => socket.write('PING\r\n'))
	})
}

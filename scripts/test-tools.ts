// Run by `pnpm test` before vitest: the system tools the tests start for real, installed when missing,
// so that the README's two commands pass on a fresh machine (Debian, root, no redis-server).
//
// - redis-server: the @tokenwarden/redis tests start their own on 127.0.0.1 (a free port).
// - redis-cli: forms the local Redis Cluster of the cluster tests.
// - openssl: the mutual TLS tests generate throwaway certificates with it.
//
// Installs with apt-get as root on Debian/Ubuntu, with Homebrew on macOS; anywhere else (or not root)
// it stops with what to install and how. TOKENWARDEN_NO_INSTALL=1 only checks, never installs.
import { spawnSync } from 'node:child_process'
import { accessSync, constants, readFileSync } from 'node:fs'
import { delimiter, join } from 'node:path'

interface Tool {
	/** The command the tests run. */
	command: string
	/** What needs it. */
	neededBy: string
	/** Package names per package manager. */
	apt: string
	brew: string
}

const TOOLS: readonly Tool[] = [
	{ command: 'redis-server', neededBy: 'the @tokenwarden/redis tests', apt: 'redis-server', brew: 'redis' },
	{ command: 'redis-cli', neededBy: 'the @tokenwarden/redis cluster tests (redis-cli --cluster create)', apt: 'redis-tools', brew: 'redis' },
	{ command: 'openssl', neededBy: 'the mutual TLS tests, for throwaway certificates', apt: 'openssl', brew: 'openssl' },
]

const missing = TOOLS.filter((tool) => !onPath(tool.command))
if (missing.length > 0) {
	const list = missing.map((tool) => `${tool.command} (${tool.neededBy})`).join(', ')
	if (process.env.TOKENWARDEN_NO_INSTALL) fail(`missing ${list}; TOKENWARDEN_NO_INSTALL is set, so nothing was installed.`)
	const system = detectSystem()
	if (system === 'debian') {
		if (process.getuid?.() !== 0) fail(`missing ${list}. Install as root: apt-get install -y ${missing.map((tool) => tool.apt).join(' ')}`)
		console.log(`pnpm test: installing ${missing.map((tool) => tool.apt).join(', ')} with apt-get (needed by ${missing.map((tool) => tool.neededBy).join('; ')})`)
		const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }
		run('apt-get', ['update', '-qq'], env)
		run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing.map((tool) => tool.apt)], env)
	} else if (system === 'macos') {
		if (!onPath('brew')) fail(`missing ${list}. Install Homebrew (https://brew.sh), then: brew install ${[...new Set(missing.map((tool) => tool.brew))].join(' ')}`)
		console.log(`pnpm test: installing ${[...new Set(missing.map((tool) => tool.brew))].join(', ')} with Homebrew`)
		run('brew', ['install', ...new Set(missing.map((tool) => tool.brew))], process.env)
	} else {
		fail(
			`missing ${list}. This script installs them only on Debian/Ubuntu (as root, with apt-get) and macOS (Homebrew); ` +
				`install ${missing.map((tool) => tool.command).join(' and ')} with your system's package manager so that they are on PATH, then run pnpm test again.`,
		)
	}
	const still = missing.filter((tool) => !onPath(tool.command))
	if (still.length > 0) fail(`installed, but ${still.map((tool) => tool.command).join(' and ')} still not found on PATH (${process.env.PATH ?? ''})`)
}

/** Whether an executable of that name is on PATH (what `command -v` answers, without a shell). */
function onPath(command: string): boolean {
	for (const directory of (process.env.PATH ?? '').split(delimiter)) {
		if (directory === '') continue
		try {
			accessSync(join(directory, command), constants.X_OK)
			return true
		} catch {}
	}
	return false
}

function detectSystem(): 'debian' | 'macos' | 'other' {
	if (process.platform === 'darwin') return 'macos'
	if (process.platform !== 'linux') return 'other'
	let release = ''
	try {
		release = readFileSync('/etc/os-release', 'utf8')
	} catch {
		return 'other'
	}
	// ID=debian / ID=ubuntu, or a derivative naming them in ID_LIKE (Mint, Pop!_OS, ...).
	const ids = [...release.matchAll(/^(?:ID|ID_LIKE)=(.*)$/gm)].flatMap((match) => (match[1] ?? '').replaceAll('"', '').split(/\s+/))
	return ids.includes('debian') || ids.includes('ubuntu') ? 'debian' : 'other'
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv): void {
	const result = spawnSync(command, args, { stdio: 'inherit', env })
	if (result.error !== undefined) fail(`${command} could not run: ${result.error.message}`)
	if (result.status !== 0) fail(`\`${command} ${args.join(' ')}\` failed with exit code ${result.status}`)
}

function fail(message: string): never {
	console.error(`pnpm test: ${message}`)
	process.exit(1)
}

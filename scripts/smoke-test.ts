// Packed-install smoke test: what npm users install is what we tested.
//
// Packs every package with `pnpm pack` (as `pnpm publish` would: workspace: ranges replaced), installs
// the tarballs with plain npm into a fresh project outside the workspace together with axios, ky and
// nock from the registry, type-checks a consumer against the packed .d.ts files, and runs it twice on
// this Node: once loading the packages with `import` (consumer.mts), once with `require` (consumer.cts).
// The consumer talks to a token endpoint and an API on 127.0.0.1 (scripts/smoke/servers.ts).
// Catches files missing from `files`, wrong `exports`, and dependencies that only resolve in the workspace.
//
// Run with `pnpm smoke` (builds first). KEEP_SMOKE_DIR=1 keeps the temporary project for inspection.
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { access, cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { CLIENT, startServers } from './smoke/servers.ts'

const run = promisify(execFile)
const root = fileURLToPath(new URL('..', import.meta.url))
/** Every published package (a folder under packages/ whose package.json is not private). */
const PACKAGES = readdirSync(join(root, 'packages')).filter((name) => {
	const manifest = join(root, 'packages', name, 'package.json')
	return existsSync(manifest) && !(JSON.parse(readFileSync(manifest, 'utf8')) as { private?: boolean }).private
})
/** Installed next to the tarballs from the registry: the HTTP clients (peers) and nock (optional peer of @tokenwarden/testing). */
const REGISTRY_PACKAGES = ['axios', 'ky', 'nock']

const started = performance.now()
const work = await mkdtemp(join(tmpdir(), 'tokenwarden-smoke-'))
try {
	const tarballs = await pack(join(work, 'tarballs'))
	const project = join(work, 'project')
	await install(project, tarballs)
	await checkInstalled(project)
	await typecheck(project)
	await runConsumers(project)
	console.log(`smoke: passed in ${((performance.now() - started) / 1000).toFixed(1)} s on Node ${process.version}`)
} finally {
	if (process.env.KEEP_SMOKE_DIR) console.log(`smoke: kept ${work}`)
	else await rm(work, { recursive: true, force: true })
}

/** `pnpm pack` of every package, as it would be published. */
async function pack(destination: string): Promise<string[]> {
	await mkdir(destination, { recursive: true })
	for (const name of PACKAGES) {
		const directory = join(root, 'packages', name)
		await access(join(directory, 'dist', 'index.js')).catch(() => {
			throw new Error(`smoke: packages/${name}/dist is missing: run \`pnpm build\` first (\`pnpm smoke\` does)`)
		})
		await run('pnpm', ['pack', '--pack-destination', destination], { cwd: directory, env: cleanEnv() })
	}
	const tarballs = (await readdir(destination)).filter((file) => file.endsWith('.tgz')).map((file) => join(destination, file))
	assert.equal(tarballs.length, PACKAGES.length, `one tarball per package: ${tarballs.join(', ')}`)
	return tarballs
}

/** A fresh project outside the workspace, installed with npm as a user would. */
async function install(project: string, tarballs: string[]): Promise<void> {
	await mkdir(project, { recursive: true })
	await writeFile(join(project, 'package.json'), `${JSON.stringify({ name: 'tokenwarden-smoke', version: '0.0.0', private: true }, null, 2)}\n`)
	for (const file of ['flow.mts', 'consumer.mts', 'consumer.cts']) await cp(join(root, 'scripts', 'smoke', file), join(project, file))
	const { stderr } = await run('npm', ['install', '--no-audit', '--no-fund', ...tarballs, ...REGISTRY_PACKAGES], { cwd: project, env: cleanEnv(), maxBuffer: 16 << 20 })
	// npm reports unmet or conflicting peer ranges as warnings (ERESOLVE overriding): none expected.
	assert.ok(!/ERESOLVE|peer dep|EBADENGINE/i.test(stderr), `npm install warned:\n${stderr}`)
}

/** One copy of core, from the tarball, and only the files a user should get. */
async function checkInstalled(project: string): Promise<void> {
	const lock = JSON.parse(await readFile(join(project, 'package-lock.json'), 'utf8')) as { packages: Record<string, { resolved?: string; version?: string }> }
	const cores = Object.keys(lock.packages).filter((path) => path.endsWith('node_modules/@tokenwarden/core'))
	assert.deepEqual(cores, ['node_modules/@tokenwarden/core'], 'the adapters use the one installed @tokenwarden/core')
	for (const name of PACKAGES) {
		// Folder names are the package names without the scope (packages/core is @tokenwarden/core).
		const entry = lock.packages[`node_modules/@tokenwarden/${name}`]
		assert.ok(entry?.resolved?.startsWith('file:'), `@tokenwarden/${name} came from the packed tarball, not the registry`)
		const directory = join(project, 'node_modules', '@tokenwarden', name)
		const files = (await readdir(directory, { recursive: true })).map((file) => file.replaceAll('\\', '/'))
		for (const expected of ['package.json', 'README.md', 'LICENSE', 'CHANGELOG.md', 'dist/index.js', 'dist/index.d.ts']) {
			assert.ok(files.includes(expected), `@tokenwarden/${name} ships ${expected}`)
		}
		const unexpected = files.filter((file) => /\.(map|tsbuildinfo)$/.test(file) || /^(src|test|node_modules)(\/|$)/.test(file) || /^tsconfig|^vitest/.test(file))
		assert.deepEqual(unexpected, [], `@tokenwarden/${name} ships no sources, tests, maps or configs`)
	}
}

/** The consumer type-checks against the packed declarations (strict, no skipLibCheck). */
async function typecheck(project: string): Promise<void> {
	const tsconfig = {
		compilerOptions: {
			target: 'ES2023',
			lib: ['ES2023', 'DOM'],
			module: 'nodenext',
			moduleResolution: 'nodenext',
			strict: true,
			noEmit: true,
			allowImportingTsExtensions: true,
			verbatimModuleSyntax: true,
			erasableSyntaxOnly: true,
			skipLibCheck: false,
			types: ['node'],
			typeRoots: [join(root, 'node_modules', '@types')],
		},
		files: ['consumer.mts', 'consumer.cts', 'flow.mts'],
	}
	await writeFile(join(project, 'tsconfig.json'), `${JSON.stringify(tsconfig, null, 2)}\n`)
	const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc')
	await run(process.execPath, [tsc, '-p', join(project, 'tsconfig.json')], { cwd: project }).catch((error: { stdout?: string }) => {
		throw new Error(`smoke: the consumer does not type-check against the packed declarations:\n${error.stdout ?? error}`)
	})
	console.log('smoke types: consumer.mts, consumer.cts and flow.mts type-check against the packed .d.ts files')
}

/** Each consumer, on its own, against fresh server state. */
async function runConsumers(project: string): Promise<void> {
	const servers = await startServers()
	try {
		for (const consumer of ['consumer.mts', 'consumer.cts']) {
			servers.reset()
			const env = {
				...cleanEnv(),
				TOKEN_URL: servers.tokenUrl,
				API_URL: servers.apiUrl,
				FOREIGN_URL: servers.foreignUrl,
				CLIENT_ID: CLIENT.id,
				CLIENT_SECRET: CLIENT.secret,
			}
			const { stdout, stderr } = await run(process.execPath, [consumer], { cwd: project, env, timeout: 60_000 }).catch((error: { stdout?: string; stderr?: string }) => {
				throw new Error(`smoke: ${consumer} failed:\n${error.stdout ?? ''}${error.stderr ?? error}`)
			})
			process.stdout.write(stdout)
			// Node warns on stderr about anything experimental or deprecated it meets on the way: none expected.
			assert.equal(stderr, '', `${consumer} wrote to stderr`)
			const { observed } = servers
			assert.equal(observed.tokensIssued, 3, `${consumer}: one token, then one new token after each adapter's 401`)
			assert.equal(observed.tokensRefused, 1, `${consumer}: the wrong secret was refused once, not retried`)
			assert.deepEqual(observed.foreignAuthorization, [undefined, undefined], `${consumer}: no token went to the foreign origin`)
		}
	} finally {
		await servers.close()
	}
}

/** The environment without pnpm's npm_* variables, which would otherwise configure the npm run inside. */
function cleanEnv(): NodeJS.ProcessEnv {
	return Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^npm_/i.test(name)))
}

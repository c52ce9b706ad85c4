// Packed-install smoke test: what npm users install is what we tested.
//
// Packs every package with `pnpm pack` (as `pnpm publish` would: workspace: ranges replaced), installs
// the tarballs with plain npm into a fresh project outside the workspace together with axios, ky, nock
// and jest from the registry, then, in five TypeScript setups (ESM nodenext, CommonJS nodenext and node16,
// NestJS's module commonjs with node10 resolution, bundler), type-checks a consumer of every entry point
// against the packed declarations, compiles it and runs it on this Node: with `import` in the ESM setups,
// with `require` in the CommonJS ones. Then a Jest trial (a CommonJS project's plain JS test file under
// Jest's module loader, which cannot require ES modules) and an application that both imports and requires
// the packages (two copies: `instanceof` must hold across them). It talks to a token endpoint and an API on
// 127.0.0.1 (scripts/smoke/servers.ts).
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
import { CLIENT, type SmokeServers, startServers } from './smoke/servers.ts'

const run = promisify(execFile)
const root = fileURLToPath(new URL('..', import.meta.url))
/** Every published package (a folder under packages/ whose package.json is not private). */
const PACKAGES = readdirSync(join(root, 'packages')).filter((name) => {
	const manifest = join(root, 'packages', name, 'package.json')
	return existsSync(manifest) && !(JSON.parse(readFileSync(manifest, 'utf8')) as { private?: boolean }).private
})
/**
 * Installed next to the tarballs from the registry: the HTTP clients (peers), nock (optional peer of
 * @tokenwarden/testing) and jest for the Jest trial (an exact version: npm here runs on Node 20, and the
 * trial should not change under us).
 */
const REGISTRY_PACKAGES = ['axios', 'ky', 'nock', 'jest@30.5.2']

/**
 * The TypeScript setups users compile with. Each gets its own folder in the project (its own package.json
 * `type` and tsconfig.json), where the consumer is type-checked (strict, no skipLibCheck) against the packed
 * declarations, compiled, and the output run: `import` for the ESM setups, `require` for the CommonJS ones.
 */
const SETUPS: ReadonlyArray<{ name: string; type: 'module' | 'commonjs' | undefined; compilerOptions: Record<string, unknown>; typesOnly?: true }> = [
	// An ES module application on Node: "type": "module", module nodenext.
	{ name: 'esm-nodenext', type: 'module', compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext', verbatimModuleSyntax: true } },
	// A CommonJS application on Node: "type": "commonjs", module nodenext (imports compile to require).
	{ name: 'cjs-nodenext', type: 'commonjs', compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext', esModuleInterop: true } },
	// The same with module node16, which (unlike nodenext in TypeScript 5.8+) does not let CommonJS code
	// refer to an ES module's types without `resolution-mode`: ky is ESM-only, and the .d.cts name its types.
	// Type-checked only (scripts/smoke/declarations.ts): its runtime is cjs-nodenext's, and there the consumer's
	// own `import ky from 'ky'` would be TS1479.
	{ name: 'cjs-node16', type: 'commonjs', compilerOptions: { module: 'node16', moduleResolution: 'node16', esModuleInterop: true }, typesOnly: true },
	// NestJS's default tsconfig: module commonjs, hence node10 resolution (no `exports`: types, typesVersions),
	// allowSyntheticDefaultImports without esModuleInterop, decorators; no "type" in package.json.
	{
		name: 'nestjs-commonjs',
		type: undefined,
		compilerOptions: { module: 'commonjs', moduleResolution: 'node10', allowSyntheticDefaultImports: true, experimentalDecorators: true, emitDecoratorMetadata: true },
	},
	// A bundled application (Vite, esbuild, webpack): module esnext, moduleResolution bundler.
	{ name: 'bundler', type: 'module', compilerOptions: { module: 'esnext', moduleResolution: 'bundler', verbatimModuleSyntax: true } },
]

const started = performance.now()
const work = await mkdtemp(join(tmpdir(), 'tokenwarden-smoke-'))
try {
	const tarballs = await pack(join(work, 'tarballs'))
	const project = join(work, 'project')
	await install(project, tarballs)
	await checkInstalled(project)
	await runSetups(project)
	await checkDualPackage(project)
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
		const mapped = []
		for (const file of files.filter((file) => /\.(c?js|d\.c?ts)$/.test(file))) {
			if ((await readFile(join(directory, file), 'utf8')).includes('sourceMappingURL')) mapped.push(file)
		}
		assert.deepEqual(mapped, [], `@tokenwarden/${name} ships no sourceMappingURL (its maps are not published)`)
	}
}

/** The consumer in each setup: type-checked, compiled and run against fresh server state. */
async function runSetups(project: string): Promise<void> {
	const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc')
	const servers = await startServers()
	try {
		for (const setup of SETUPS) {
			const directory = join(project, setup.name)
			await mkdir(directory, { recursive: true })
			const files = setup.typesOnly ? ['declarations.ts'] : ['consumer.ts', 'flow.ts']
			for (const file of files) await cp(join(root, 'scripts', 'smoke', file), join(directory, file))
			const manifest = { name: `smoke-${setup.name}`, version: '0.0.0', private: true, ...(setup.type === undefined ? {} : { type: setup.type }) }
			await writeFile(join(directory, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`)
			const compilerOptions = {
				target: 'ES2023',
				lib: ['ES2023', 'DOM'],
				strict: true,
				skipLibCheck: false,
				outDir: 'out',
				rootDir: '.',
				types: ['node'],
				typeRoots: [join(root, 'node_modules', '@types')],
				...setup.compilerOptions,
			}
			await writeFile(join(directory, 'tsconfig.json'), `${JSON.stringify({ compilerOptions, files }, null, 2)}\n`)
			await run(process.execPath, [tsc, '-p', join(directory, 'tsconfig.json')], { cwd: directory }).catch((error: { stdout?: string }) => {
				throw new Error(`smoke ${setup.name}: the consumer does not type-check against the packed declarations:\n${error.stdout ?? error}`)
			})
			if (setup.typesOnly) {
				console.log(`smoke ${setup.name}: every entry point's declarations type-check (no run: the runtime is another setup's)`)
				continue
			}
			const output = await readFile(join(directory, 'out', 'consumer.js'), 'utf8')
			const requires = /\brequire\("@tokenwarden\/core"\)/.test(output)
			assert.equal(requires, setup.type !== 'module', `smoke ${setup.name}: the compiled consumer loads the packages with ${setup.type === 'module' ? 'import' : 'require'}`)

			servers.reset()
			const env = {
				...cleanEnv(),
				SMOKE_SETUP: setup.name,
				TOKEN_URL: servers.tokenUrl,
				API_URL: servers.apiUrl,
				FOREIGN_URL: servers.foreignUrl,
				CLIENT_ID: CLIENT.id,
				CLIENT_SECRET: CLIENT.secret,
			}
			const { stdout, stderr } = await run(process.execPath, [join('out', 'consumer.js')], { cwd: directory, env, timeout: 60_000 }).catch(
				(error: { stdout?: string; stderr?: string }) => {
					throw new Error(`smoke ${setup.name}: the consumer failed:\n${error.stdout ?? ''}${error.stderr ?? error}`)
				},
			)
			process.stdout.write(stdout)
			// Node warns on stderr about anything experimental or deprecated it meets on the way: none expected.
			assert.equal(stderr, '', `smoke ${setup.name}: the consumer wrote to stderr`)
			const { observed } = servers
			assert.equal(observed.tokensIssued, 4, `${setup.name}: per manager one token, then one new token after its first 401 (none after a second 401 within the cooldown)`)
			assert.equal(observed.tokensRefused, 1, `${setup.name}: the wrong secret was refused once, not retried`)
			assert.deepEqual(observed.foreignAuthorization, [undefined, undefined, undefined], `${setup.name}: no token went to the foreign origin`)
		}

		await runJest(project, servers)

		// The CLI as `npx @tokenwarden/cli` runs it: the installed tarball's bin against the local token endpoint.
		servers.reset()
		const cliEnv = { ...cleanEnv(), TOKENWARDEN_CLIENT_ID: CLIENT.id, TOKENWARDEN_CLIENT_SECRET: CLIENT.secret }
		const cli = await run('npx', ['--no-install', 'tokenwarden', 'token', '--token-url', servers.tokenUrl, '--json'], { cwd: project, env: cliEnv })
		const cliJson = JSON.parse(cli.stdout) as { ok: boolean; tokenType: string; expirySource: string }
		assert.equal(cliJson.ok, true, 'npx tokenwarden token succeeded')
		assert.equal(cliJson.tokenType, 'Bearer')
		assert.ok(!(cli.stdout + cli.stderr).includes(CLIENT.secret), 'the CLI printed no secret')
		console.log('smoke cli: npx tokenwarden token works from the packed tarball')
	} finally {
		await servers.close()
	}
}

/**
 * The Jest trial: a CommonJS project (NestJS's defaults) whose plain JS test requires every entry point and
 * gets a token from the smoke token endpoint through the axios adapter. Jest runs on this Node.
 */
async function runJest(project: string, servers: SmokeServers): Promise<void> {
	const directory = join(project, 'jest-commonjs')
	await mkdir(directory, { recursive: true })
	const manifest = { name: 'smoke-jest-commonjs', version: '0.0.0', private: true, type: 'commonjs', jest: { testEnvironment: 'node' } }
	await writeFile(join(directory, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`)
	await cp(join(root, 'scripts', 'smoke', 'jest-consumer.test.js'), join(directory, 'tokenwarden.test.js'))
	servers.reset()
	const env = { ...cleanEnv(), TOKEN_URL: servers.tokenUrl, API_URL: servers.apiUrl, CLIENT_ID: CLIENT.id, CLIENT_SECRET: CLIENT.secret }
	const jest = join(project, 'node_modules', 'jest', 'bin', 'jest.js')
	const { stderr } = await run(process.execPath, [jest, '--ci', '--colors=false', '--rootDir', directory], { cwd: directory, env, timeout: 120_000 }).catch(
		(error: { stdout?: string; stderr?: string }) => {
			throw new Error(`smoke jest-commonjs: the Jest trial failed:\n${error.stdout ?? ''}${error.stderr ?? error}`)
		},
	)
	assert.match(stderr, /Tests:\s+4 passed, 4 total/, `smoke jest-commonjs: every test ran and passed:\n${stderr}`)
	assert.equal(servers.observed.tokensIssued, 1, 'jest-commonjs: one token for the axios adapter')
	assert.equal(servers.observed.tokensRefused, 1, 'jest-commonjs: the wrong secret was refused once')
	console.log('smoke jest-commonjs: Jest (CommonJS, no ESM support) requires every entry point and gets a token through the axios adapter')
}

/**
 * An application that both imports and requires the packages gets two copies of each (the ES module and
 * the CommonJS build): an error from one copy is `instanceof` the other copy's classes.
 */
async function checkDualPackage(project: string): Promise<void> {
	const script = `import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import * as esm from '@tokenwarden/core'
const cjs = createRequire(import.meta.url)('@tokenwarden/core')
assert.notEqual(esm.OAuthError, cjs.OAuthError, 'two copies')
const fromCjs = new cjs.OAuthError({ error: 'invalid_client', status: 401 })
assert.ok(fromCjs instanceof esm.OAuthError && fromCjs instanceof esm.TokenWardenError && !(fromCjs instanceof esm.TokenEndpointError))
const fromEsm = new esm.StoreFullError(1)
assert.ok(fromEsm instanceof cjs.StoreFullError && fromEsm instanceof cjs.TokenWardenError && !(fromEsm instanceof cjs.OAuthError))
`
	await writeFile(join(project, 'dual-package.mjs'), script)
	await run(process.execPath, ['dual-package.mjs'], { cwd: project }).catch((error: { stderr?: string }) => {
		throw new Error(`smoke dual-package: instanceof across the ES module and the CommonJS copy failed:\n${error.stderr ?? error}`)
	})
	console.log('smoke dual-package: errors are instanceof across the imported and the required copy')
}

/** The environment without pnpm's npm_* variables, which would otherwise configure the npm run inside. */
function cleanEnv(): NodeJS.ProcessEnv {
	return Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^npm_/i.test(name)))
}

// Builds the package in the current directory (each package's `build` script runs it):
//
// 1. dist/ from scratch (no file of a removed module left behind to be published), with
//    `tsc -p tsconfig.build.json`: ES modules (.js) and their declarations (.d.ts).
// 2. `.d.cts` declarations for the `require` side of every entry point: a copy of every `.d.ts` with its
//    relative imports pointing at the `.d.cts` copies. TypeScript reads them as CommonJS, so a type they
//    import from a peer (axios ships separate types for `require` and `import`) and a module augmentation
//    they declare (`declare module 'axios'`) resolve to the same declarations the CommonJS consumer's own
//    `import axios from 'axios'` gets.
// 3. The `require` side's code: a real CommonJS bundle of the compiled ES modules (see commonJsBundles), so
//    `require()` works where require(esm) does not (Jest's module loader), not only on Node >= 22.12.
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build, formatMessages } from 'esbuild'

const root = fileURLToPath(new URL('..', import.meta.url))
const directory = process.cwd()
const manifest = JSON.parse(readFileSync(join(directory, 'package.json'), 'utf8')) as {
	name: string
	exports?: Record<string, unknown>
	dependencies?: Record<string, string>
	peerDependencies?: Record<string, string>
}

/** Bare specifiers found to be ES-module-only packages (see isEsmOnly). */
const esmOnly = new Map<string, boolean>()

rmSync(join(directory, 'dist'), { recursive: true, force: true })
execFileSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'], { cwd: directory, stdio: 'inherit' })

const dist = join(directory, 'dist')
let declarations = 0
for (const file of readdirSync(dist, { recursive: true, encoding: 'utf8' })) {
	if (!file.endsWith('.d.ts')) continue
	const text = readFileSync(join(dist, file), 'utf8')
	writeFileSync(join(dist, file.replace(/\.d\.ts$/, '.d.cts')), commonJsDeclarations(text, file))
	declarations++
}

const entries = await commonJsBundles()
console.log(
	`${manifest.name}: built dist/ (${declarations} declaration files copied as .d.cts; CommonJS: ${entries.map(({ file, size }) => `${file} ${(size / 1024).toFixed(1)} KiB`).join(', ')})`,
)

/**
 * The `require` side: a real CommonJS bundle (esbuild, format cjs, target node22) of the compiled ES modules,
 * so `require()` works where require(esm) does not (Jest's module loader, Node < 22.12 tooling).
 * Bundled: the package's own modules and every dependency without a CommonJS build (p-queue, jose).
 * External: Node builtins, dependencies that `require()` loads as CommonJS (undici), peer dependencies
 * (the caller's axios, ky, nock, redis, ioredis) and `@tokenwarden/*` (the adapters get core's CommonJS build).
 * A package with several entry points (core, core/adapter, core/providers) gets one bundle, `dist/cjs/bundle.cjs`,
 * holding each entry's exports, and a small `.cjs` per entry re-exporting its part: one copy of each module
 * (one `TokenWardenError` class) across the entry points.
 */
async function commonJsBundles(): Promise<Array<{ file: string; size: number }>> {
	const targets: Array<{ subpath: string; cjs: string; esm: string }> = []
	for (const [subpath, target] of Object.entries(manifest.exports ?? {})) {
		if (typeof target !== 'object' || target === null) continue
		const cjs = (target as { require?: { default?: string } }).require?.default
		const esm = (target as { import?: { default?: string } }).import?.default
		if (cjs === undefined) continue
		if (!cjs.endsWith('.cjs') || esm === undefined) throw new Error(`${manifest.name}: exports["${subpath}"] needs import.default and a .cjs require.default, got ${esm}, ${cjs}`)
		targets.push({ subpath, cjs, esm })
	}
	if (targets.length === 0) return []
	const shared = targets.length > 1
	const bundle = shared ? './dist/cjs/bundle.cjs' : (targets[0] as { cjs: string }).cjs
	const exportName = (index: number) => `entry${index}`
	const result = await build({
		...(shared
			? { stdin: { contents: targets.map(({ esm }, index) => `export * as ${exportName(index)} from '${esm}'`).join('\n'), resolveDir: directory, sourcefile: 'cjs-entries.js' } }
			: { entryPoints: [join(directory, (targets[0] as { esm: string }).esm)] }),
		outfile: join(directory, bundle),
		bundle: true,
		platform: 'node',
		target: 'node22',
		format: 'cjs',
		// The error classes' `name` (and `instanceof` across copies, see TokenWardenError) rely on class names.
		keepNames: true,
		external: externals(),
		// `createRequire(import.meta.url)` (axios' copies, testing's optional nock) resolves from this file in CommonJS.
		define: { 'import.meta.url': '__tokenwardenModuleUrl' },
		banner: { js: "'use strict'\nconst __tokenwardenModuleUrl = require('node:url').pathToFileURL(__filename).href" },
		legalComments: 'none',
		metafile: true,
		logLevel: 'silent',
	})
	if (result.warnings.length > 0) throw new Error(`${manifest.name}: esbuild warned:\n${(await formatMessages(result.warnings, { kind: 'warning' })).join('\n')}`)
	writeThirdPartyLicenses(Object.keys(result.metafile.inputs))
	if (shared) {
		targets.forEach(({ subpath, cjs }, index) => {
			const file = join(directory, cjs)
			const from = relative(dirname(file), join(directory, bundle)).replaceAll('\\', '/')
			mkdirSync(dirname(file), { recursive: true })
			writeFileSync(
				file,
				`'use strict'\n// require('${join(manifest.name, subpath)}'): its part of the package's one CommonJS bundle (one copy of each module across entry points).\nmodule.exports = require('${from.startsWith('.') ? from : `./${from}`}').${exportName(index)}\n`,
			)
		})
	}
	return [...new Set([bundle, ...targets.map(({ cjs }) => cjs)])].map((file) => ({ file: file.replace(/^\.\//, ''), size: statSync(join(directory, file)).size }))
}

/** What the CommonJS bundle leaves to `require()`: peers, `@tokenwarden/*`, and dependencies `require()` loads as CommonJS. */
function externals(): string[] {
	const requireFrom = createRequire(join(directory, 'package.json'))
	const external = ['@tokenwarden/*', ...Object.keys(manifest.peerDependencies ?? {})]
	for (const dependency of Object.keys(manifest.dependencies ?? {})) {
		if (dependency.startsWith('@tokenwarden/')) continue
		if (isCommonJs(requireFrom.resolve(dependency))) external.push(dependency)
	}
	return external
}

/** Whether `require()` of this resolved file gets CommonJS (not an ES module it could only load as require(esm)). */
function isCommonJs(file: string): boolean {
	if (file.endsWith('.cjs')) return true
	if (file.endsWith('.mjs')) return false
	for (let folder = dirname(file); folder !== dirname(folder); folder = dirname(folder)) {
		const candidate = join(folder, 'package.json')
		if (!existsSync(candidate)) continue
		return (JSON.parse(readFileSync(candidate, 'utf8')) as { type?: string }).type !== 'module'
	}
	return true
}

/** The licenses of the third-party code bundled into the CommonJS output (MIT asks for their notices to travel with copies). */
function writeThirdPartyLicenses(inputs: string[]): void {
	const packages = new Map<string, string>()
	for (const input of inputs) {
		const match = /^(.*node_modules\/((?:@[^/]+\/)?[^/]+))\//.exec(input.replaceAll('\\', '/'))
		if (match?.[1] && match[2] && !match[2].startsWith('@tokenwarden/')) packages.set(match[2], resolve(directory, match[1]))
	}
	const notices = [...packages]
		.sort(([a], [b]) => a.localeCompare(b))
		.map(([name, folder]) => {
			const { version, license } = JSON.parse(readFileSync(join(folder, 'package.json'), 'utf8')) as { version: string; license?: string }
			const file = readdirSync(folder).find((entry) => /^licen[cs]e/i.test(entry))
			if (file === undefined) throw new Error(`${manifest.name}: bundled ${name} has no license file`)
			return `${name}@${version} (${license ?? 'see below'}), bundled into the CommonJS build\n\n${readFileSync(join(folder, file), 'utf8').trim()}\n`
		})
	if (notices.length > 0) writeFileSync(join(dist, 'THIRD-PARTY-LICENSES.txt'), notices.join(`\n${'-'.repeat(72)}\n\n`))
}

/**
 * A declaration file as its `.d.cts` copy: `./x.js` specifiers (imports, exports, `import('./x.js')` types)
 * pointed at `./x.cjs`, and type imports from an ES-module-only package (ky) marked
 * `with { 'resolution-mode': 'import' }`: without it a CommonJS consumer on `module: node16` gets TS1541
 * ("Type-only import of an ECMAScript module from a CommonJS module must have a 'resolution-mode' attribute").
 */
function commonJsDeclarations(text: string, file: string): string {
	const relativeFixed = text.replace(/((?:from|import)\s*\(?\s*)(['"])(\.{1,2}\/[^'"]*?)\.js\2/g, '$1$2$3.cjs$2')
	const marked = relativeFixed.replace(/^(import type [^;\n]+ from (['"])([^'"]+)\2)(;?)$/gm, (line, statement: string, _quote, specifier: string, semicolon: string) =>
		isEsmOnly(specifier) ? `${statement} with { 'resolution-mode': 'import' }${semicolon}` : line,
	)
	// Anything else naming an ES-module-only package (a value import, a re-export, an inline `import('ky')` type) has no such fix here.
	for (const [, specifier] of marked.matchAll(/(?:from|import\s*\()\s*['"]([^'"]+)['"](?!\s*with)/g)) {
		if (specifier !== undefined && isEsmOnly(specifier))
			throw new Error(`${manifest.name}: dist/${file} refers to the ES-module-only ${specifier} other than by \`import type … from\`; its .d.cts copy cannot be marked`)
	}
	return marked
}

/** Whether a bare specifier is a package `require()` can only load as an ES module (ky, p-queue, jose). */
function isEsmOnly(specifier: string): boolean {
	if (/^(\.|node:|@tokenwarden\/)/.test(specifier)) return false
	let known = esmOnly.get(specifier)
	if (known === undefined) {
		known = !isCommonJs(createRequire(join(directory, 'package.json')).resolve(specifier))
		esmOnly.set(specifier, known)
	}
	return known
}

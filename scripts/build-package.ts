// Builds the package in the current directory (each package's `build` script runs it):
//
// 1. dist/ from scratch (no file of a removed module left behind to be published), with
//    `tsc -p tsconfig.build.json`: ES modules (.js) and their declarations (.d.ts).
// 2. The `require` side of every entry point in `exports`, for CommonJS consumers:
//    - a `.cjs` file that is `module.exports = require('./index.js')`: the ES module itself (Node >= 22.12
//      requires it synchronously), so `import` and `require` share one instance of each module;
//    - `.d.cts` declarations: a copy of every `.d.ts` with its relative imports pointing at the `.d.cts`
//      copies. TypeScript reads them as CommonJS, so a type they import from a peer (axios ships separate
//      types for `require` and `import`) and a module augmentation they declare (`declare module 'axios'`)
//      resolve to the same declarations the CommonJS consumer's own `import axios from 'axios'` gets.
import { execFileSync } from 'node:child_process'
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const directory = process.cwd()
const manifest = JSON.parse(readFileSync(join(directory, 'package.json'), 'utf8')) as { name: string; exports?: Record<string, unknown> }

rmSync(join(directory, 'dist'), { recursive: true, force: true })
execFileSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'], { cwd: directory, stdio: 'inherit' })

const dist = join(directory, 'dist')
let declarations = 0
for (const file of readdirSync(dist, { recursive: true, encoding: 'utf8' })) {
	if (!file.endsWith('.d.ts')) continue
	const text = readFileSync(join(dist, file), 'utf8')
	writeFileSync(join(dist, file.replace(/\.d\.ts$/, '.d.cts')), commonJsDeclarations(text))
	declarations++
}

let entries = 0
for (const [subpath, target] of Object.entries(manifest.exports ?? {})) {
	if (typeof target !== 'object' || target === null) continue
	const require = (target as { require?: { default?: string } }).require?.default
	if (require === undefined) continue
	if (!require.endsWith('.cjs')) throw new Error(`${manifest.name}: exports["${subpath}"].require.default must be a .cjs file, got ${require}`)
	const file = join(directory, require)
	const esm = `./${relative(dirname(file), file.replace(/\.cjs$/, '.js')).replaceAll('\\', '/')}`
	mkdirSync(dirname(file), { recursive: true })
	writeFileSync(
		file,
		`'use strict'\n// require() entry point: the ES module itself (loaded synchronously on Node >= 22.12), one instance for import and require.\nmodule.exports = require('${esm}')\n`,
	)
	entries++
}
console.log(`${manifest.name}: built dist/ (${declarations} declaration files copied as .d.cts, ${entries} require entry points)`)

/** `./x.js` specifiers (imports, exports, `import('./x.js')` types) of a declaration file, pointed at `./x.cjs`. */
function commonJsDeclarations(text: string): string {
	return text.replace(/((?:from|import)\s*\(?\s*)(['"])(\.{1,2}\/[^'"]*?)\.js\2/g, '$1$2$3.cjs$2')
}

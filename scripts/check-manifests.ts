// What every published package must have, checked on each package.json so that a new package or an
// edit cannot drop it: ESM with types in every export, the published files, engines, and peer ranges
// equal to the devDependency ranges the tests install (so a peer range never claims an untested version).
import assert from 'node:assert/strict'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { basename, join } from 'node:path'
import { fileURLToPath } from 'node:url'

interface Manifest {
	name: string
	version: string
	private?: boolean
	license?: string
	type?: string
	sideEffects?: boolean
	engines?: Record<string, string>
	files?: string[]
	exports?: Record<string, string | Record<string, string>>
	publishConfig?: { access?: string }
	dependencies?: Record<string, string>
	peerDependencies?: Record<string, string>
	devDependencies?: Record<string, string>
}

const root = fileURLToPath(new URL('..', import.meta.url))
const read = (path: string) => JSON.parse(readFileSync(path, 'utf8')) as Manifest
const workspace = read(join(root, 'package.json'))
const failures: string[] = []
const names: string[] = []

for (const directory of readdirSync(join(root, 'packages')).map((name) => join(root, 'packages', name))) {
	if (!existsSync(join(directory, 'package.json'))) continue
	const pkg = read(join(directory, 'package.json'))
	if (pkg.private) continue
	names.push(pkg.name)
	const check = (condition: unknown, message: string) => {
		if (!condition) failures.push(`${pkg.name}: ${message}`)
	}
	check(pkg.name === `@tokenwarden/${basename(directory)}`, `is named @tokenwarden/<folder name> (the smoke test relies on it)`)
	check(pkg.license === 'MIT', 'license is MIT')
	check(pkg.type === 'module', 'type is module')
	check(pkg.sideEffects === false, 'sideEffects is false')
	check(pkg.engines?.node === workspace.engines?.node, `engines.node is ${workspace.engines?.node}, as the workspace's`)
	check(pkg.publishConfig?.access === 'public', 'publishConfig.access is public (a scoped package is private by default)')
	for (const file of ['dist', 'CHANGELOG.md', '!dist/**/*.map']) check(pkg.files?.includes(file), `files has ${file}`)
	for (const file of ['README.md', 'LICENSE', 'CHANGELOG.md']) check(existsSync(join(directory, file)), `has ${file}`)
	check(readFileSync(join(directory, 'CHANGELOG.md'), 'utf8').includes(`\n## ${pkg.version}\n`), `CHANGELOG.md has an entry for ${pkg.version} (pnpm changeset version writes it)`)
	check(pkg.exports?.['.'] !== undefined && pkg.exports['./package.json'] === './package.json', 'exports has "." and "./package.json"')
	for (const [subpath, target] of Object.entries(pkg.exports ?? {})) {
		if (subpath === './package.json') continue
		const conditions = typeof target === 'string' ? [] : Object.keys(target)
		check(conditions[0] === 'types' && conditions.includes('default'), `exports["${subpath}"] has "types" first and "default"`)
	}
	for (const [name, range] of Object.entries(pkg.peerDependencies ?? {})) {
		const tested = pkg.devDependencies?.[name] ?? workspace.devDependencies?.[name]
		check(range === tested, `peer ${name}@${range} is the range the tests install (devDependencies: ${tested ?? 'none'})`)
	}
	for (const [name, range] of Object.entries(pkg.dependencies ?? {})) {
		if (name.startsWith('@tokenwarden/')) check(range === 'workspace:^', `${name} is "workspace:^" (pnpm publish turns it into ^<version>)`)
	}
}

assert.ok(names.length > 0, 'no packages found')
if (failures.length > 0) {
	console.error(`package.json checks failed:\n- ${failures.join('\n- ')}`)
	process.exit(1)
}
console.log(`package.json checks: ${names.join(', ')}: ok`)

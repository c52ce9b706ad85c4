// What every published package must have, checked on each package.json so that a new package or an
// edit cannot drop it: ESM with an import and a require side (with types) in every export, typesVersions for
// node10 resolution, repository/homepage/bugs, the published files, engines, and peer ranges
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
	exports?: Record<string, string | Record<string, unknown>>
	main?: string
	types?: string
	typesVersions?: Record<string, Record<string, string[]>>
	repository?: { type?: string; url?: string; directory?: string }
	homepage?: string
	bugs?: { url?: string }
	publishConfig?: { access?: string }
	dependencies?: Record<string, string>
	peerDependencies?: Record<string, string>
	devDependencies?: Record<string, string>
}

const root = fileURLToPath(new URL('..', import.meta.url))
const REPOSITORY = 'git+https://github.com/tokenwarden/tokenwarden.git'
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
		// import: the ES module and its .d.ts; require: the .cjs entry (the same ES module) and .d.cts declarations.
		const sides = typeof target === 'string' ? {} : (target as Record<string, unknown>)
		check(JSON.stringify(Object.keys(sides)) === '["import","require"]', `exports["${subpath}"] has "import" then "require"`)
		for (const [condition, extensions] of [
			['import', ['.d.ts', '.js']],
			['require', ['.d.cts', '.cjs']],
		] as const) {
			const side = sides[condition] as Record<string, string> | undefined
			const ok = side !== undefined && JSON.stringify(Object.keys(side)) === '["types","default"]' && side.types?.endsWith(extensions[0]) && side.default?.endsWith(extensions[1])
			check(ok, `exports["${subpath}"].${condition} is { types: *${extensions[0]}, default: *${extensions[1]} }`)
		}
		// node10 resolution (module commonjs, NestJS's default) ignores exports: it finds subpath types through typesVersions.
		if (subpath !== '.') {
			const mapped = pkg.typesVersions?.['*']?.[subpath.slice(2)]
			check(mapped?.[0] === (sides.require as Record<string, string> | undefined)?.types, `typesVersions maps ${subpath.slice(2)} to its .d.cts`)
		}
	}
	const main = (pkg.exports?.['.'] as Record<string, Record<string, string> | undefined> | undefined)?.require
	check(pkg.main === main?.default && pkg.types === main?.types, 'main and types are the require side of "." (for node10 resolution)')
	const folder = `packages/${basename(directory)}`
	check(
		pkg.repository?.type === 'git' && pkg.repository.url === REPOSITORY && pkg.repository.directory === folder,
		`repository is { type: git, url: ${REPOSITORY}, directory: ${folder} }`,
	)
	check(pkg.homepage === `https://github.com/tokenwarden/tokenwarden/tree/main/${folder}#readme`, 'homepage is the package folder on GitHub')
	check(pkg.bugs?.url === 'https://github.com/tokenwarden/tokenwarden/issues', 'bugs is the issue tracker')
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

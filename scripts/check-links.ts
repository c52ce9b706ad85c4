// Every relative link in the repository's Markdown (READMEs, docs/, CONTRIBUTING.md) and every link to
// this repository's GitHub pages in Markdown and TSDoc points at a file that exists here, so that no
// README or API comment sends a reader to a missing page. Run by `pnpm check:packages`.
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const SKIP = new Set(['node_modules', '.git', 'dist', 'api', 'coverage'])
const REPOSITORY = /https:\/\/github\.com\/tokenwarden\/tokenwarden\/(?:blob|tree)\/main\/([^)\s#'"`>]*)/g
const failures: string[] = []
let checked = 0

for (const file of walk(root)) {
	const text = readFileSync(file, 'utf8')
	const where = relative(root, file)
	for (const [, target = ''] of text.matchAll(REPOSITORY)) if (!target.includes('${')) check(where, join(root, decodeURIComponent(target)), target)
	if (!file.endsWith('.md')) continue
	for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
		if (target === undefined || /^[a-z]+:|^#|^mailto:/i.test(target)) continue
		const path = decodeURIComponent(target.split('#')[0] ?? '')
		if (path !== '') check(where, join(dirname(file), path), target)
	}
}

if (failures.length > 0) {
	console.error(`links: ${failures.length} broken:\n- ${failures.join('\n- ')}`)
	process.exit(1)
}
console.log(`links: ${checked} links to files in the repository resolve`)

function check(where: string, path: string, target: string): void {
	checked++
	if (!existsSync(path)) failures.push(`${where}: ${target}`)
}

function* walk(directory: string): Generator<string> {
	for (const entry of readdirSync(directory, { withFileTypes: true })) {
		if (SKIP.has(entry.name)) continue
		const path = join(directory, entry.name)
		if (entry.isDirectory()) yield* walk(path)
		else if (/\.(md|ts|mts|cts)$/.test(entry.name)) yield path
	}
}

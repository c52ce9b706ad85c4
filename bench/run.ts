// Runs every bench/*.bench.ts in its own process, one after the other (they measure; they must not share a CPU).
import { spawnSync } from 'node:child_process'
import { readdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const here = fileURLToPath(new URL('.', import.meta.url))
const only = process.argv.slice(2)
const files = readdirSync(here)
	.filter((file) => file.endsWith('.bench.ts'))
	.filter((file) => only.length === 0 || only.some((name) => file.includes(name)))
	.sort()
let failed = false
console.log(`node ${process.version} on ${process.platform}/${process.arch}, ${new Date().toISOString()}`)
for (const file of files) {
	console.log(`\n## ${file}`)
	const result = spawnSync(process.execPath, [`${here}${file}`], { stdio: 'inherit' })
	if (result.status !== 0) failed = true
}
process.exit(failed ? 1 : 0)

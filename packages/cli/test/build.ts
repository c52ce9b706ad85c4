import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

/**
 * The tests run `node dist/cli.js` as users do, so dist must match src: compile the CLI before the
 * tests (a few seconds), and the core too when it was never built (`pnpm build` builds both).
 */
export default function build(): void {
	const root = fileURLToPath(new URL('../../../', import.meta.url))
	const tsc = `${root}node_modules/typescript/bin/tsc`
	if (!existsSync(`${root}packages/core/dist/index.js`)) execFileSync(process.execPath, [tsc, '-p', `${root}packages/core/tsconfig.build.json`], { stdio: 'inherit' })
	execFileSync(process.execPath, [tsc, '-p', `${root}packages/cli/tsconfig.build.json`], { stdio: 'inherit' })
}

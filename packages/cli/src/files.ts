import { readFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import { UsageError } from './args.js'

/**
 * Reads a file named by an option. A failure names the option and the system error code only: the
 * path is the user's own, and the content (a key, a secret) is never quoted.
 */
export async function readOptionFile(cwd: string, path: string, option: string): Promise<Buffer> {
	try {
		return await readFile(resolve(cwd, path))
	} catch (error) {
		const code = (error as { code?: unknown }).code
		throw new UsageError(`cannot read the --${option} file (${typeof code === 'string' ? code : 'read error'})`)
	}
}

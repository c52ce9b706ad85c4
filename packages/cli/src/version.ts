import { readFileSync } from 'node:fs'

/**
 * This package's version, from its own package.json (one level above both `src/` and the built `dist/`):
 * what `tokenwarden --version` prints. Read when asked, not at start-up.
 */
export function packageVersion(): string {
	const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version?: unknown }
	return String(manifest.version)
}

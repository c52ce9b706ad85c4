import type { TokenManagerOptions } from '@tokenwarden/core'
import * as providers from '@tokenwarden/core/providers'
import { UsageError } from './args.js'

/** What `--help` and the README say about a preset. */
export interface PresetInfo {
	/** One line for `--help`. */
	about: string
	/** Uses the consent flow (`authorize`, `exchange`) rather than client credentials. */
	consent?: true
}

/**
 * The presets described in `--help`, one line each. Any other preset that `@tokenwarden/core/providers`
 * exports works as well (it is called with the same options), so a new core preset needs no CLI change;
 * add its line here to describe it.
 */
export const PRESETS: Readonly<Record<string, PresetInfo>> = {
	juno: { about: 'Juno: HTTP Basic (raw id:secret), JWT tokens' },
	bankly: { about: 'Bankly: secret in the form body, or mTLS (--cert/--key); --scope' },
	bs2: { about: 'BS2 Pix: HTTP Basic (raw id:secret); --scope' },
	bs2Banking: { about: 'BS2 api-banking: consent flow (authorize, exchange)', consent: true },
}

/** A preset as the CLI calls it: options in, manager options out. */
export type Preset = (options: Readonly<Record<string, unknown>>) => TokenManagerOptions

/** Every preset the core exports: the functions of `@tokenwarden/core/providers`. */
export function presetNames(): string[] {
	const exported = Object.entries(providers)
		.filter(([, value]) => typeof value === 'function')
		.map(([name]) => name)
	return [...Object.keys(PRESETS).filter((name) => exported.includes(name)), ...exported.filter((name) => !(name in PRESETS)).sort()]
}

export function findPreset(name: string): Preset {
	const preset = (providers as Record<string, unknown>)[name]
	if (typeof preset !== 'function' || !Object.hasOwn(providers, name)) {
		throw new UsageError(`unknown preset "${name}"`, `presets: ${presetNames().join(', ')}`)
	}
	return preset as Preset
}

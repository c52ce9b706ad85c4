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
	bankly: { about: 'Bankly: secret in the body, or mTLS (--cert/--key); --scope' },
	bs2: { about: 'BS2 Pix: HTTP Basic (raw id:secret); --scope' },
	bs2Banking: { about: 'BS2 api-banking: consent flow (authorize, exchange)', consent: true },
	inter: { about: 'Banco Inter: mTLS (--cert/--key) + secret in the body; --scope' },
	itau: { about: 'Itaú: mTLS with the dynamic certificate + secret in the body' },
	santander: { about: 'Santander Pix: secret in the body; mTLS outside its sandbox' },
	bancoDoBrasil: { about: 'Banco do Brasil: HTTP Basic (raw id:secret); --scope' },
	sicoob: { about: 'Sicoob: the certificate is the credential, no secret; --scope' },
	efi: { about: 'Efí (Gerencianet) Pix: mTLS + HTTP Basic, JSON token request' },
}

/** A preset as the CLI calls it: options in, manager options out. */
export type Preset = (options: Readonly<Record<string, unknown>>) => TokenManagerOptions

/**
 * Every preset the core exports: the functions of `@tokenwarden/core/providers` that its `PRESET_OPTIONS`
 * lists (the module's other functions, such as `bancoDoBrasilApi`, are helpers, not presets).
 */
export function presetNames(): string[] {
	const exported = Object.keys(providers.PRESET_OPTIONS).filter((name) => typeof (providers as Record<string, unknown>)[name] === 'function')
	return [...Object.keys(PRESETS).filter((name) => exported.includes(name)), ...exported.filter((name) => !(name in PRESETS)).sort()]
}

/**
 * The options the CLI gathered, split into those `preset` takes and the rest (for example `--scope`
 * with `juno`, whose preset has no scope option): the rest go on the manager's options after the preset.
 */
export function presetInput(name: string, given: Readonly<Record<string, unknown>>): [accepted: Record<string, unknown>, rest: Record<string, unknown>] {
	const known = providers.PRESET_OPTIONS[name] ?? {}
	const accepted: Record<string, unknown> = {}
	const rest: Record<string, unknown> = {}
	for (const [key, value] of Object.entries(given)) (Object.hasOwn(known, key) ? accepted : rest)[key] = value
	return [accepted, rest]
}

export function findPreset(name: string): Preset {
	const preset = (providers as Record<string, unknown>)[name]
	if (typeof preset !== 'function' || !Object.hasOwn(providers.PRESET_OPTIONS, name)) {
		throw new UsageError(`unknown preset "${name}"`, `presets: ${presetNames().join(', ')}`)
	}
	return preset as Preset
}

import type { PresetOptionKind } from './environment.js'

const SECRET_TLS = { environment: 'environment', clientId: 'string', clientSecret: 'secret', scope: 'scope', tls: 'tls', tokenUrl: 'url', authorizeUrl: 'url' } as const
const BS2 = { environment: 'environment', clientId: 'string', clientSecret: 'secret', scope: 'scope', tokenUrl: 'url', authorizeUrl: 'url' } as const

/**
 * The options each preset takes, by preset name, with the kind each is checked as: the presets check
 * their options against it (an unknown key is a TypeError), and tools that call presets by name (the
 * `tokenwarden` CLI) read it to tell the presets from the other exports and to pass each preset only
 * what it takes.
 */
export const PRESET_OPTIONS: Readonly<Record<string, Readonly<Record<string, PresetOptionKind>>>> = Object.freeze({
	juno: { environment: 'environment', clientId: 'string', clientSecret: 'secret', tokenUrl: 'url', authorizeUrl: 'url' },
	bankly: SECRET_TLS,
	bs2: BS2,
	bs2Banking: { ...BS2, redirectUri: 'string' },
	inter: SECRET_TLS,
	itau: SECRET_TLS,
	santander: SECRET_TLS,
	bancoDoBrasil: SECRET_TLS,
	sicoob: { environment: 'environment', clientId: 'string', tls: 'tls', scope: 'scope', tokenUrl: 'url', authorizeUrl: 'url' },
	efi: SECRET_TLS,
} satisfies Record<string, Record<string, PresetOptionKind>>)

/** The option table of `preset` (one of {@link PRESET_OPTIONS}' names). */
export function presetOptions(preset: string): Readonly<Record<string, PresetOptionKind>> {
	return PRESET_OPTIONS[preset] as Readonly<Record<string, PresetOptionKind>>
}

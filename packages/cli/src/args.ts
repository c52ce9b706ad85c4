import { type ParseArgsConfig, parseArgs } from 'node:util'

/** A mistake on the command line (exit code 2). Its message never quotes an argument's value. */
export class UsageError extends Error {
	override readonly name = 'UsageError'
	readonly code = 'USAGE'
	/** What to do instead, when there is something better to say than "see --help". */
	readonly hint: string | undefined
	constructor(message: string, hint?: string) {
		super(message)
		this.hint = hint
	}
}

type Options = NonNullable<ParseArgsConfig['options']>

/** Where the token comes from: the provider, the client's credentials, mutual TLS, a signing key. */
const CONNECTION: Options = {
	preset: { type: 'string' },
	environment: { type: 'string' },
	'token-url': { type: 'string' },
	'client-auth': { type: 'string' },
	'client-id': { type: 'string' },
	'client-secret-file': { type: 'string' },
	scope: { type: 'string' },
	cert: { type: 'string' },
	key: { type: 'string' },
	ca: { type: 'string' },
	'passphrase-env': { type: 'string' },
	'private-key': { type: 'string' },
	'key-id': { type: 'string' },
	algorithm: { type: 'string' },
	timeout: { type: 'string' },
}
const OUTPUT: Options = {
	json: { type: 'boolean', default: false },
	verbose: { type: 'boolean', default: false },
	help: { type: 'boolean', short: 'h', default: false },
}
const CONSENT: Options = {
	'authorize-url': { type: 'string' },
	'redirect-uri': { type: 'string' },
}

/** The options each command takes. */
export const COMMAND_OPTIONS = {
	token: { ...CONNECTION, ...OUTPUT, 'show-token': { type: 'boolean', default: false }, probe: { type: 'string', multiple: true } },
	authorize: { ...CONNECTION, ...OUTPUT, ...CONSENT, pkce: { type: 'boolean', default: true } },
	exchange: {
		...CONNECTION,
		...OUTPUT,
		...CONSENT,
		'show-token': { type: 'boolean', default: false },
		probe: { type: 'string', multiple: true },
		code: { type: 'string' },
		state: { type: 'string' },
		verifier: { type: 'string' },
		'callback-url': { type: 'string' },
		subject: { type: 'string' },
	},
	inspect: { json: OUTPUT.json, help: OUTPUT.help } as Options,
} satisfies Record<string, Options>

export type Command = keyof typeof COMMAND_OPTIONS

/** Parsed options: strings, booleans, and lists for the repeatable ones. */
export type Flags = Readonly<Record<string, string | boolean | (string | boolean)[] | undefined>>

/** Flags that would put a secret into shell history and the process list: refused, pointing to the safe ways. */
const SECRET_FLAGS: Record<string, string> = {
	'--client-secret': 'set TOKENWARDEN_CLIENT_SECRET, or pass --client-secret-file <file>',
	'--secret': 'set TOKENWARDEN_CLIENT_SECRET, or pass --client-secret-file <file>',
	'--passphrase': 'name the environment variable that holds it: --passphrase-env <NAME>',
	'--password': 'name the environment variable that holds it: --passphrase-env <NAME>',
	'--token': 'pipe the token in: tokenwarden inspect < token.txt',
}

/** Parses one command's arguments, strictly: an unknown option or a stray argument is a {@link UsageError}. */
export function parseCommand(command: Command, args: readonly string[]): Flags {
	for (const arg of args) {
		if (arg === '--') break
		const name = arg.split('=', 1)[0] as string
		const safe = SECRET_FLAGS[name]
		if (safe !== undefined) {
			throw new UsageError(`${name} is not accepted: a secret on the command line lands in shell history and the process list`, safe)
		}
	}
	try {
		const { values } = parseArgs({ args: [...args], options: COMMAND_OPTIONS[command], strict: true, allowPositionals: false, allowNegative: true })
		return values as Flags
	} catch (error) {
		throw new UsageError(describeParseError(error, command))
	}
}

/** Node's parseArgs messages, without the argument's value (it could be a secret typed in the wrong place). */
function describeParseError(error: unknown, command: string): string {
	const code = (error as { code?: unknown }).code
	const message = error instanceof Error ? error.message : String(error)
	if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') return `${command} takes no positional arguments (give values as --option value)`
	if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
		const option = /'(-[^'=\s]*)/.exec(message)?.[1]
		return option ? `unknown option ${option} for ${command}` : `unknown option for ${command}`
	}
	if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
		const option = /'(--?[\w-]+)/.exec(message)?.[1]
		if (option === undefined) return 'an option has a missing or unexpected value'
		return message.includes('does not take') ? `option ${option} takes no value` : `option ${option} needs a value`
	}
	return `invalid arguments for ${command}`
}

/** A string option's value, or undefined. */
export function text(flags: Flags, name: string): string | undefined {
	const value = flags[name]
	return typeof value === 'string' ? value : undefined
}

/** A string option that must be given. */
export function required(flags: Flags, name: string, why: string): string {
	const value = text(flags, name)
	if (value === undefined || value === '') throw new UsageError(`--${name} is required ${why}`)
	return value
}

export function flag(flags: Flags, name: string): boolean {
	return flags[name] === true
}

export function list(flags: Flags, name: string): string[] {
	const value = flags[name]
	return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : []
}

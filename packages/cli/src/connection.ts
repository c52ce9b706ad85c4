import { createPrivateKey, type KeyObject } from 'node:crypto'
import { type ClientAuthMethod, normaliseScope, type TlsOptions, type TokenManagerOptions } from '@tokenwarden/core'
import { type Flags, text, UsageError } from './args.js'
import { readOptionFile } from './files.js'
import type { CliIo } from './io.js'
import type { Secrets } from './mask.js'
import { findPreset, presetInput } from './presets.js'

/** The manager options a command needs, and what the output says about them. */
export interface Connection {
	/** For `createTokenManager`, before the CLI adds its fetch, store and event listener. */
	options: TokenManagerOptions
	/** The scope asked for (normalised), from --scope or the preset. */
	requestedScope: string[]
	/** How the client authenticates, as the hint on `invalid_client` names it. */
	clientAuth: string
	/** Mutual TLS settings, also used by the probes. */
	tls: TlsOptions | undefined
	preset: string | undefined
	environment: string | undefined
}

const METHODS: readonly ClientAuthMethod[] = [
	'client_secret_basic',
	'client_secret_post',
	'client_secret_jwt',
	'private_key_jwt',
	'tls_client_auth',
	'self_signed_tls_client_auth',
	'none',
]
const SECRET_METHODS: readonly string[] = ['client_secret_basic', 'client_secret_post', 'client_secret_jwt']

/** Environment variables the credentials come from. */
export const CLIENT_ID_ENV = 'TOKENWARDEN_CLIENT_ID'
export const CLIENT_SECRET_ENV = 'TOKENWARDEN_CLIENT_SECRET'

/**
 * Builds the manager options from the command line and the environment. Secrets come only from the
 * environment or files, and each one is registered with `secrets` before anything can print it.
 */
export async function resolveConnection(flags: Flags, io: CliIo, secrets: Secrets): Promise<Connection> {
	const clientId = text(flags, 'client-id') ?? nonEmpty(io.env[CLIENT_ID_ENV])
	if (clientId === undefined) throw new UsageError('no client id', `set ${CLIENT_ID_ENV} or pass --client-id`)
	const clientSecret = await readClientSecret(flags, io)
	secrets.add(clientSecret)
	secrets.addBasic(clientId, clientSecret)
	const passphrase = readPassphrase(flags, io)
	secrets.add(passphrase)
	const tls = await readTls(flags, io, passphrase)
	const signing = await readPrivateKey(flags, io, passphrase)
	const clientAuthFlag = text(flags, 'client-auth')
	if (clientAuthFlag !== undefined && !METHODS.includes(clientAuthFlag as ClientAuthMethod)) {
		throw new UsageError(`--client-auth must be one of ${METHODS.join(', ')}`)
	}
	const scope = text(flags, 'scope')
	const timeout = readTimeout(flags)
	const presetName = text(flags, 'preset')
	const environment = text(flags, 'environment')
	const common = definedOnly({
		tokenUrl: text(flags, 'token-url'),
		authorizeUrl: text(flags, 'authorize-url'),
		redirectUri: text(flags, 'redirect-uri'),
		scope,
	})

	let options: Record<string, unknown>
	if (presetName !== undefined) {
		const preset = findPreset(presetName)
		if (environment === undefined) throw new UsageError('--environment is required with --preset', 'sandbox (or homologation) or production')
		const [accepted, rest] = presetInput(presetName, definedOnly({ ...common, environment, clientId, clientSecret, tls }))
		options = { ...callPreset(() => preset(accepted)) }
		// What the preset does not take goes to the manager as it is (a secret it has no use for, nowhere).
		for (const [key, value] of Object.entries(rest)) if (key !== 'clientSecret' && options[key] === undefined) options[key] = value
		const method = (clientAuthFlag ?? (signing && options.clientAuth !== 'private_key_jwt' ? 'private_key_jwt' : undefined)) as ClientAuthMethod | undefined
		if (method !== undefined) options = withMethod(options, method, clientSecret)
	} else {
		if (environment !== undefined) throw new UsageError('--environment is only used with --preset')
		if (common.tokenUrl === undefined) throw new UsageError('no token endpoint', 'give --preset <name> --environment <env>, or --token-url <url>')
		const method = clientAuthFlag ?? defaultMethod(clientSecret, tls, signing)
		options = withMethod({ ...common, clientId, ...(tls ? { tls } : {}) }, method as ClientAuthMethod, clientSecret)
	}
	if (signing !== undefined && options.clientAuth === 'private_key_jwt')
		Object.assign(options, definedOnly({ privateKey: signing.key, keyId: signing.keyId, algorithm: signing.algorithm }))
	if (timeout !== undefined) options.timeout = timeout
	const clientAuth = String(options.clientAuth ?? 'client_secret_basic')
	if (SECRET_METHODS.includes(clientAuth) && clientSecret === undefined) {
		throw new UsageError(`no client secret for ${clientAuth}`, `set ${CLIENT_SECRET_ENV} or pass --client-secret-file <file>`)
	}
	return {
		options: options as unknown as TokenManagerOptions,
		requestedScope: normaliseScope(options.scope as string | string[] | undefined),
		clientAuth: clientAuth === 'client_secret_basic' && options.basicAuthEncoding === 'raw' ? 'client_secret_basic (raw id:secret)' : clientAuth,
		tls: options.tls as TlsOptions | undefined,
		preset: presetName,
		environment,
	}
}

/** Without --client-auth: a signing key signs, a certificate without a secret is the credential, else the secret in HTTP Basic. */
function defaultMethod(secret: string | undefined, tls: TlsOptions | undefined, signing: SigningKey | undefined): ClientAuthMethod {
	if (signing !== undefined) return 'private_key_jwt'
	if (secret === undefined && tls?.cert !== undefined) return 'tls_client_auth'
	if (secret === undefined) {
		throw new UsageError('no client credentials', `set ${CLIENT_SECRET_ENV}, pass --client-secret-file, --cert and --key, or --private-key (or --client-auth none)`)
	}
	return 'client_secret_basic'
}

/** Sets the method and keeps only the credentials it uses (the core refuses a secret a method does not use). */
function withMethod(options: Record<string, unknown>, method: ClientAuthMethod, secret: string | undefined): Record<string, unknown> {
	const next: Record<string, unknown> = { ...options, clientAuth: method }
	if (SECRET_METHODS.includes(method)) {
		if (secret !== undefined) next.clientSecret = secret
	} else delete next.clientSecret
	if (method !== 'client_secret_basic') delete next.basicAuthEncoding
	if (method !== 'private_key_jwt') {
		delete next.privateKey
		delete next.keyId
	}
	if (method !== 'private_key_jwt' && method !== 'client_secret_jwt') delete next.algorithm
	return next
}

/** A preset's TypeError (a missing scope, an undocumented production URL) is a usage error. */
function callPreset(call: () => TokenManagerOptions): Record<string, unknown> {
	try {
		return call() as unknown as Record<string, unknown>
	} catch (error) {
		if (error instanceof TypeError) throw new UsageError(error.message.replace(/^tokenwarden: /, ''), presetHint(error.message))
		throw error
	}
}

function presetHint(message: string): string | undefined {
	if (/clientSecret/.test(message)) return `set ${CLIENT_SECRET_ENV} or pass --client-secret-file <file>`
	if (/tokenUrl/.test(message)) return 'pass --token-url <url>'
	if (/authorizeUrl/.test(message)) return 'pass --authorize-url <url>'
	if (/redirectUri/.test(message)) return 'pass --redirect-uri <url>'
	if (/scope/.test(message)) return 'pass --scope "a b"'
	if (/environment/.test(message)) return '--environment sandbox (or homologation) or production'
	return undefined
}

async function readClientSecret(flags: Flags, io: CliIo): Promise<string | undefined> {
	const file = text(flags, 'client-secret-file')
	if (file === undefined) return nonEmpty(io.env[CLIENT_SECRET_ENV])
	// One trailing newline is the editor's, not the secret's.
	const secret = (await readOptionFile(io.cwd, file, 'client-secret-file')).toString('utf8').replace(/\r?\n$/, '')
	if (secret === '') throw new UsageError('the --client-secret-file file is empty')
	return secret
}

function readPassphrase(flags: Flags, io: CliIo): string | undefined {
	const name = text(flags, 'passphrase-env')
	if (name === undefined) return undefined
	const value = io.env[name]
	if (value === undefined || value === '') throw new UsageError(`--passphrase-env names ${name}, which is not set`)
	return value
}

async function readTls(flags: Flags, io: CliIo, passphrase: string | undefined): Promise<TlsOptions | undefined> {
	const read = async (name: string) => {
		const path = text(flags, name)
		return path === undefined ? undefined : await readOptionFile(io.cwd, path, name)
	}
	const cert = await read('cert')
	const key = await read('key')
	const ca = await read('ca')
	if (cert === undefined && key === undefined && ca === undefined) return undefined
	if ((cert === undefined) !== (key === undefined)) throw new UsageError('--cert and --key go together (the client certificate and its private key)')
	return definedOnly({ cert, key, ca, passphrase: cert === undefined ? undefined : passphrase }) as TlsOptions
}

interface SigningKey {
	key: KeyObject | JsonWebKey
	keyId: string | undefined
	algorithm: string | undefined
}

/** `--private-key`: a private JWK (JSON, with kid and alg) or a PEM key (with --key-id and --algorithm), encrypted PEM with --passphrase-env. */
async function readPrivateKey(flags: Flags, io: CliIo, passphrase: string | undefined): Promise<SigningKey | undefined> {
	const path = text(flags, 'private-key')
	const keyId = text(flags, 'key-id')
	const algorithm = text(flags, 'algorithm')
	if (path === undefined) return undefined
	const content = (await readOptionFile(io.cwd, path, 'private-key')).toString('utf8')
	if (content.trimStart().startsWith('{')) {
		try {
			return { key: JSON.parse(content) as JsonWebKey, keyId, algorithm }
		} catch {
			throw new UsageError('the --private-key file is neither a PEM key nor JSON (a private JWK)')
		}
	}
	try {
		return { key: createPrivateKey(passphrase === undefined ? content : { key: content, passphrase }), keyId, algorithm }
	} catch (error) {
		const code = (error as { code?: unknown }).code
		const encrypted = code === 'ERR_MISSING_PASSPHRASE' || code === 'ERR_OSSL_BAD_DECRYPT'
		throw new UsageError(
			`the --private-key file could not be read as a private key (${typeof code === 'string' ? code : 'invalid key'})`,
			encrypted ? 'it is encrypted: name the variable that holds its passphrase with --passphrase-env <NAME>' : undefined,
		)
	}
}

function readTimeout(flags: Flags): number | undefined {
	const value = text(flags, 'timeout')
	if (value === undefined) return undefined
	const ms = Number(value)
	if (!/^\d+$/.test(value) || ms < 1) throw new UsageError('--timeout must be a whole number of milliseconds, at least 1')
	return ms
}

function nonEmpty(value: string | undefined): string | undefined {
	return value === undefined || value === '' ? undefined : value
}

/** The record without its undefined entries (the core tells a missing option from one set to undefined). */
function definedOnly<T extends Record<string, unknown>>(record: T): Partial<T> {
	return Object.fromEntries(Object.entries(record).filter(([, value]) => value !== undefined)) as Partial<T>
}

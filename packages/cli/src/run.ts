import { type Command, flag, parseCommand } from './args.js'
import { authorizeCommand } from './commands/authorize.js'
import { exchangeCommand } from './commands/exchange.js'
import { inspectCommand } from './commands/inspect.js'
import { tokenCommand } from './commands/token.js'
import type { Context } from './context.js'
import { EXIT, type Explained, explainError } from './explain-error.js'
import { wrap, WIDTH } from './format.js'
import { type CliIo, processIo } from './io.js'
import { Secrets } from './mask.js'
import { terminal, type Terminal } from './terminal.js'
import { helpText } from './usage.js'
import { packageVersion } from './version.js'

const COMMANDS: Record<Command, (flags: ReturnType<typeof parseCommand>, context: Context) => Promise<number>> = {
	token: tokenCommand,
	inspect: inspectCommand,
	authorize: authorizeCommand,
	exchange: exchangeCommand,
}

/**
 * Runs one `tokenwarden` command line and resolves to its exit code (see {@link EXIT}); never throws
 * and never exits the process. Everything outside (streams, environment, fetch, clock) comes from `io`.
 *
 * @param argv - the arguments after the program name, for example `['token', '--preset', 'juno', …]`.
 */
export async function run(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
	const secrets = new Secrets()
	const term = terminal(io, secrets)
	const [name, ...args] = argv
	if (name === '--help' || name === '-h' || name === 'help') {
		term.out(helpText('main'))
		return EXIT.ok
	}
	if (name === '--version' || name === '-v') {
		term.out(`${packageVersion()}\n`)
		return EXIT.ok
	}
	const json = args.includes('--json')
	if (name === undefined || !Object.hasOwn(COMMANDS, name)) {
		const problem = name === undefined ? 'no command given' : name.startsWith('-') ? `${name.split('=', 1)[0]} before the command` : `unknown command "${name}"`
		report(term, { exit: EXIT.usage, code: 'USAGE', message: problem, hint: 'commands: token, inspect, authorize, exchange (tokenwarden --help)' }, json, name)
		return EXIT.usage
	}
	const command = name as Command
	const context: Context = { io, term, secrets, clientAuth: undefined }
	try {
		const flags = parseCommand(command, args)
		if (flag(flags, 'help')) {
			term.out(helpText(command))
			return EXIT.ok
		}
		return await COMMANDS[command](flags, context)
	} catch (error) {
		const explained = explainError(error, context.clientAuth)
		report(term, explained, json, command)
		return explained.exit
	}
}

/** One line of error, one of hint, on stderr; with `--json` also the object on stdout. */
function report(term: Terminal, explained: Explained, json: boolean, command: string | undefined): void {
	const head = `error: ${explained.message}${explained.code === 'USAGE' || explained.code === 'INTERNAL' ? '' : ` [${explained.code}]`}`
	term.err(
		`${wrap(head, WIDTH)
			.map((line) => term.paintErr(line, 'bad'))
			.join('\n')}\n`,
	)
	if (explained.hint) term.err(`${wrap(`hint: ${explained.hint}`, WIDTH).join('\n')}\n`)
	if (json) {
		const { exit, ...error } = explained
		term.out(`${JSON.stringify({ ok: false, command: command ?? null, exitCode: exit, error }, null, 2)}\n`)
	}
}

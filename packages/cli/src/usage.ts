import type { Command } from './args.js'
import { WIDTH, wrap } from './format.js'
import { PRESETS, presetNames } from './presets.js'

const CONNECTION = `Provider (a preset, or the token endpoint itself):
  --preset NAME            {PRESETS}
  --environment ENV        sandbox (or homologation) | production
  --token-url URL          token endpoint (overrides the preset's)
  --client-auth METHOD     client_secret_basic | client_secret_post |
                           client_secret_jwt | private_key_jwt |
                           tls_client_auth | self_signed_tls_client_auth | none
  --scope "A B"            scope to ask for
  --timeout MS             per token request attempt (default 10000)

Credentials (never a secret as a flag value: it would land in shell history):
  TOKENWARDEN_CLIENT_ID, TOKENWARDEN_CLIENT_SECRET   environment variables
  --client-id ID           instead of TOKENWARDEN_CLIENT_ID
  --client-secret-file F   read the secret from a file
  --cert F --key F         client certificate and key, PEM (mutual TLS)
  --ca F                   CA to trust for the servers, PEM
  --passphrase-env NAME    variable with the passphrase of --key, --private-key
  --private-key F          private_key_jwt: PEM (with --key-id, --algorithm) or
                           a private JWK (JSON with kid and alg)`

const OUTPUT = `Output:
  --json                   one JSON object on stdout
  --verbose                the manager's events on stderr as they happen
  -h, --help               this help`

const EXIT_CODES = `Exit codes: 0 ok, 1 token failure, 2 usage, 3 probe failed.`

const HELP: Record<Command | 'main', string> = {
	main: `tokenwarden: get, inspect and probe an OAuth2 access token.

Usage:
  tokenwarden --version
  tokenwarden token --preset NAME --environment ENV [--scope "A B"] [--probe U]
  tokenwarden token --token-url URL [--client-auth METHOD] [--scope "A B"]
  tokenwarden inspect < token.txt
  tokenwarden authorize --preset bs2Banking --environment ENV --redirect-uri URL
  tokenwarden exchange --preset bs2Banking ... --state S --verifier V --code C

Commands:
  token       get one token and show its type, expiry, scope and claims
  inspect     decode a token read from stdin, offline
  authorize   print an account holder's consent URL, state and PKCE verifier
  exchange    finish the consent with the code and show the holder's tokens

Presets:
{PRESET_LINES}

Options:
  -h, --help               this help
  -v, --version            print the version of tokenwarden

Run tokenwarden COMMAND --help for its options.
${EXIT_CODES}
The token is printed only with --show-token; secrets never.`,
	token: `Usage: tokenwarden token [options]

Gets one token through the token manager and shows its type, expiry (and
where it came from), the clock difference with the server, granted vs
requested scope, and a JWT's decoded header and payload (unverified).

  --probe URL              GET URL with the token; repeatable
  --show-token             print the access token itself

${CONNECTION}

${OUTPUT}

${EXIT_CODES}`,
	inspect: `Usage: tokenwarden inspect [--json] < token.txt

Decodes a token read from stdin, offline: the token alone, an
"Authorization: Bearer ..." line, or a whole token response (JSON).
Nothing is verified; the token is not printed.

${OUTPUT}

${EXIT_CODES}`,
	authorize: `Usage: tokenwarden authorize [options]

Prints the consent URL for an account holder, with its state and PKCE
verifier. Nothing is kept: pass them to exchange.

  --redirect-uri URL       where the provider sends the holder back
  --authorize-url URL      authorization endpoint (overrides the preset's)
  --no-pkce                no PKCE challenge

${CONNECTION}

${OUTPUT}

${EXIT_CODES}`,
	exchange: `Usage: tokenwarden exchange [options] --state S [--verifier V] --code C

Exchanges the authorization code for the holder's tokens and shows them
masked, with the consent's expiry. Give the same provider options as to
authorize.

  --code C                 the code from the redirect
  --callback-url URL       or the whole redirect URL (code and state in it)
  --state S                the state authorize printed
  --verifier V             the PKCE verifier authorize printed
  --redirect-uri URL       the same as for authorize
  --subject NAME           whom the tokens are kept for (default: cli)
  --probe URL              GET URL with the holder's token; repeatable
  --show-token             print the access token (never the refresh token)

${CONNECTION}

${OUTPUT}

${EXIT_CODES}`,
}

export function helpText(command: Command | 'main'): string {
	const names = presetNames()
	const lines = names.map((name) => `  ${name.padEnd(14)} ${PRESETS[name]?.about ?? 'see the @tokenwarden/core README'}`)
	const presetList = wrap(names.join(' | '), WIDTH - 27).join(`\n${' '.repeat(27)}`)
	return `${HELP[command].replace('{PRESETS}', presetList).replace('{PRESET_LINES}', lines.join('\n'))}\n`
}

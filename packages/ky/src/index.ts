export { tokenHooks } from './token-hooks.js'
export { withTokens } from './with-tokens.js'
export type { RequestTokenOptions, TokenHooksOptions, TokenSource, TokenwardenContext, WithTokensOptions } from './types/options.js'

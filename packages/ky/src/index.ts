export { tokenHooks } from './token-hooks.js'
export { withTokens } from './with-tokens.js'
export type { ApiRequestDecoration, RequestTokenOptions, TokenHooksOptions, TokenSource, TokenwardenContext, WithTokensOptions } from './types/options.js'

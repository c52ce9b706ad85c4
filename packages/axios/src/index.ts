export { withTokens } from './with-tokens.js'
export type { RequestTokenOptions, TokenSource, TokenwardenRequestOption, WithTokensOptions } from './types/options.js'

export { withTokens } from './with-tokens.js'
export type { AxiosInstanceLike, RequestTokenOptions, TokenSource, TokenwardenRequestOption, WithTokensOptions } from './types/options.js'

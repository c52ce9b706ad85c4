export { tokenInterceptor } from './interceptor.js'
export { withTokens } from './with-tokens.js'
export type { ApiRequestDecoration, RequestTokenOptions, ResponseView, TokenInterceptorOptions, TokenSource, TokenwardenRequestOption, WithTokensOptions } from './types/options.js'

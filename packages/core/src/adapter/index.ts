// Building blocks for HTTP client adapters (@tokenwarden/axios, @tokenwarden/ky, @tokenwarden/fetch, or
// your own): which origins may receive tokens, the validated adapter and per-request options, and the
// one 401 policy (send with a token, classify the response, drop the token, retry at most once).
export { authorizationHeader } from './authorization.js'
export { bearerError, isInsufficientScope } from './challenge.js'
export { allowedOrigins, isAllowed, originOf } from './origins.js'
export { createTokenPolicy } from './policy.js'
export type { ResponseVerdict, TokenPolicy, TokenPolicyOptions, TokenWait } from './policy.js'
export { requestTokenOf, resolveAdapterSettings } from './settings.js'
export type { AdapterSettings } from './settings.js'
export { TokenWaitTimeoutError } from './token-wait.js'
export type { WaitTimers } from './token-wait.js'
export type { AdapterOptions, RequestTokenOptions, ResponseView, TokenSource } from '../types/adapter.js'

// Building blocks for HTTP client adapters (@tokenwarden/axios, @tokenwarden/ky, or your own):
// which origins may receive tokens, and the validated adapter and per-request options.
export { allowedOrigins, originOf } from './origins.js'
export { requestTokenOf, resolveAdapterSettings } from './settings.js'
export type { AdapterSettings } from './settings.js'
export type { AdapterOptions, RequestTokenOptions, TokenSource } from '../types/adapter.js'

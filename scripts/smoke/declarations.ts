// The smoke test's type-only consumer, for setups where only the types differ from another setup's run
// (CommonJS with module node16: its runtime is cjs-nodenext's `require`). Every entry point's declarations
// are loaded (strict, no skipLibCheck) and the adapters' signatures are used with the caller's own client
// types. ky is ESM-only: a CommonJS file can name its types only with `resolution-mode: import`.
import type * as Core from '@tokenwarden/core'
import type * as Adapter from '@tokenwarden/core/adapter'
import type * as Providers from '@tokenwarden/core/providers'
import type * as AxiosAdapter from '@tokenwarden/axios'
import type * as FetchAdapter from '@tokenwarden/fetch'
import type * as KyAdapter from '@tokenwarden/ky'
import type * as Redis from '@tokenwarden/redis'
import type * as Testing from '@tokenwarden/testing'
import type { AxiosInstance, AxiosRequestConfig } from 'axios'

/** ky's instance type (the import-type form of `resolution-mode`: Biome does not parse attributes on `import type`). */
type KyInstance = import('ky', { with: { 'resolution-mode': 'import' }}).KyInstance

/** Every entry point's exports, as types. */
export type EntryPoints = [typeof Core, typeof Adapter, typeof Providers, typeof AxiosAdapter, typeof FetchAdapter, typeof KyAdapter, typeof Redis, typeof Testing]

/** The caller's axios instance in and out of withTokens; the augmentation reaches axios' request config. */
export function axiosClient(adapter: typeof AxiosAdapter, client: AxiosInstance, tokens: Core.TokenManager): AxiosInstance {
	const config: AxiosRequestConfig = { tokenwarden: { scope: 'smoke' } }
	void config
	return adapter.withTokens(client, tokens)
}

/** The caller's ky instance (ESM types, named from CommonJS) in and out of withTokens, with a per-request context. */
export function kyClient(adapter: typeof KyAdapter, client: KyInstance, tokens: Core.TokenManager): KyInstance {
	const context = { tokenwarden: false } satisfies KyAdapter.TokenwardenContext
	void context
	return adapter.withTokens(client, tokens)
}

/** An error narrowed by `instanceof` keeps its fields. */
export function oauthErrorCode(core: typeof Core, error: unknown): string | undefined {
	return error instanceof core.OAuthError ? error.error : undefined
}

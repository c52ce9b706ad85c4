import axios, { type AxiosInstance, type AxiosRequestConfig, type AxiosStatic, type InternalAxiosRequestConfig } from 'axios'
import { describe, expectTypeOf, test } from 'vitest'
import type { TokenManager } from '@tokenwarden/core'
import { type TokenwardenRequestOption, withTokens, type WithTokensOptions } from '@tokenwarden/axios'

declare const tokens: TokenManager
/** axios as a CommonJS file sees it: its require types (index.d.cts), another set of declarations. */
type RequiredAxios = typeof import('axios', { with: { 'resolution-mode': 'require' }})
declare const required: RequiredAxios

describe('types', () => {
	test('the tokenwarden request option is part of AxiosRequestConfig by module augmentation', () => {
		expectTypeOf<AxiosRequestConfig['tokenwarden']>().toEqualTypeOf<TokenwardenRequestOption | undefined>()
		expectTypeOf<InternalAxiosRequestConfig['tokenwarden']>().toEqualTypeOf<TokenwardenRequestOption | undefined>()
		expectTypeOf<{ tokenwarden: false }>().toExtend<AxiosRequestConfig>()
		expectTypeOf<{ tokenwarden: { scope: 'cob.write'; subject: 'account-42' } }>().toExtend<AxiosRequestConfig>()
		expectTypeOf<{ tokenwarden: { scope: readonly ['a', 'b'] } }>().toExtend<AxiosRequestConfig>()
		expectTypeOf<{ tokenwarden: true }>().not.toExtend<AxiosRequestConfig>()
		expectTypeOf<{ tokenwarden: { scopes: 'x' } }>().not.toExtend<AxiosRequestConfig>()
		expectTypeOf<{ tokenwarden: { subject: 42 } }>().not.toExtend<AxiosRequestConfig>()
	})

	test('request methods accept the option', () => {
		const api = axios.create({ baseURL: 'https://api.example.com' })
		// Type-level only: these calls are never made.
		const calls = () => [
			api.get('/cob', { tokenwarden: { scope: 'cob.write', subject: 'account-42' } }),
			api.post('/cob', { amount: 1 }, { tokenwarden: false }),
			// @ts-expect-error: true is not an option
			api.get('/cob', { tokenwarden: true }),
		]
		expectTypeOf(calls).returns.items.toExtend<Promise<unknown>>()
	})

	test('withTokens returns the instance it was given, with its type', () => {
		expectTypeOf(withTokens<AxiosInstance>).returns.toEqualTypeOf<AxiosInstance>()
		const install = () => withTokens(axios, tokens, { origins: ['https://api.example.com'] })
		expectTypeOf(install).returns.toEqualTypeOf<AxiosStatic>()
		expectTypeOf<WithTokensOptions>().toExtend<{ origins?: readonly string[] | undefined; retryUnauthorized?: boolean | undefined }>()
	})

	test('an instance typed by axios require types (CommonJS consumers) fits withTokens, with its own type', () => {
		const install = () => withTokens(required.create({ baseURL: 'https://api.example.com' }), tokens)
		expectTypeOf(install).returns.toEqualTypeOf<ReturnType<RequiredAxios['create']>>()
		// The tokenwarden option on axios' require types comes with the package's .d.cts declarations (a copy of
		// these, read as CommonJS): type-checked against the packed package by scripts/matrix/run-matrix.sh.
	})
})

// The `tokenwarden` request option for axios' require types. axios ships two sets of types: index.d.ts
// for `import` and index.d.cts for `require`; a CommonJS consumer (`"type": "commonjs"` with
// `module: nodenext`, or NestJS's `module: commonjs`) sees the second. This file is CommonJS, so the
// `'axios'` it augments is the require one; options.ts loads it (a type re-export), so every consumer
// gets the option whichever set of axios types its files see. Same shape as `TokenwardenRequestOption`.
import type {} from 'axios'

declare module 'axios' {
	// The type parameters must match axios' own declaration (axios >= 1.19 has `<D, P>`).
	interface AxiosRequestConfig<D = any, P = any> {
		/** Token for this request: `false` for none, or `{ scope, subject }` (see `@tokenwarden/axios`). */
		tokenwarden?: false | { scope?: string | readonly string[] | undefined; subject?: string | undefined } | undefined
	}
}

/** Marks that the require-side augmentation is loaded (a type only: nothing at run time). */
export type RequireTypesAugmented = true

// CommonJS consumer: loads every entry point with `require`. The packages are ESM only; Node >= 22.12
// (and 20.19) can require ES modules that have no top-level await, which this proves for the packages
// and their dependencies as installed from the registry.
import type { Modules } from './flow.mts'

const modules: Modules = {
	core: require('@tokenwarden/core'),
	adapter: require('@tokenwarden/core/adapter'),
	providers: require('@tokenwarden/core/providers'),
	testing: require('@tokenwarden/testing'),
	axiosAdapter: require('@tokenwarden/axios'),
	kyAdapter: require('@tokenwarden/ky'),
	redis: require('@tokenwarden/redis'),
	axios: require('axios'),
	// A required ES module comes as its namespace object.
	ky: require('ky').default,
}
const { exercise } = require('./flow.mts') as typeof import('./flow.mts')

exercise(modules).then(
	() => console.log('smoke cjs: require of all entry points, token manager, axios and ky adapters: ok'),
	(error: unknown) => {
		console.error(error)
		process.exitCode = 1
	},
)

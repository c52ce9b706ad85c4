// The smoke consumer: loads every entry point the way its TypeScript setup compiles an import (ES module
// `import` for the nodenext ESM and bundler setups, `require` for the CommonJS nodenext and NestJS-style
// setups), then runs the flow. The smoke test type-checks and compiles it in each setup, and runs the output.
import axios from 'axios'
import ky from 'ky'
import * as core from '@tokenwarden/core'
import * as adapter from '@tokenwarden/core/adapter'
import * as providers from '@tokenwarden/core/providers'
import * as axiosAdapter from '@tokenwarden/axios'
import * as fetchAdapter from '@tokenwarden/fetch'
import * as kyAdapter from '@tokenwarden/ky'
import * as redis from '@tokenwarden/redis'
import * as testing from '@tokenwarden/testing'
import { exercise } from './flow.js'

const setup = process.env.SMOKE_SETUP ?? 'unknown setup'
exercise({ core, adapter, providers, testing, axiosAdapter, fetchAdapter, kyAdapter, redis, axios, ky }).then(
	() => console.log(`smoke ${setup}: every entry point, token manager, axios, ky and fetch adapters: ok`),
	(error: unknown) => {
		console.error(error)
		process.exitCode = 1
	},
)

// ESM consumer: loads every entry point with `import`, as an application would.
import axios from 'axios'
import ky from 'ky'
import * as core from '@tokenwarden/core'
import * as adapter from '@tokenwarden/core/adapter'
import * as providers from '@tokenwarden/core/providers'
import * as testing from '@tokenwarden/testing'
import * as axiosAdapter from '@tokenwarden/axios'
import * as kyAdapter from '@tokenwarden/ky'
import * as redis from '@tokenwarden/redis'
import { exercise } from './flow.mts'

await exercise({ core, adapter, providers, testing, axiosAdapter, kyAdapter, redis, axios, ky })
console.log('smoke esm: import of all entry points, token manager, axios and ky adapters: ok')

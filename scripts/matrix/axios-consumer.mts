// Type-checked by run-matrix.sh in each axios project (tsc --noEmit, strict, nodenext, skipLibCheck off),
// as an ES module; a copy named .cts is checked as CommonJS (`"type": "commonjs"` style), where axios'
// require types apply. Never run.
import axios from 'axios'
import { createTokenManager } from '@tokenwarden/core'
import { withTokens } from '@tokenwarden/axios'

const tokens = createTokenManager({ tokenUrl: 'https://auth.example.com/oauth/token', clientId: 'c', clientSecret: 's' })
const api = withTokens(axios.create({ baseURL: 'https://api.example.com' }), tokens, { scope: 'cob.read' })
export const calls = [api.get('/cob', { tokenwarden: false }), api.post('/cob', { valor: 1 }, { tokenwarden: { scope: 'cob.write', subject: 'account-42' } })]
// @ts-expect-error: true is not a tokenwarden option
export const wrong = api.get('/cob', { tokenwarden: true })
export const same: typeof api = withTokens(api, tokens)

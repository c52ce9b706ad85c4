// Type-checked by run-matrix.sh in each ky project (tsc --noEmit, strict, nodenext, skipLibCheck off),
// as an ES module (ky is ESM only). Never run.
import ky from 'ky'
import { createTokenManager } from '@tokenwarden/core'
import { tokenHooks, type TokenwardenContext, withTokens } from '@tokenwarden/ky'

const tokens = createTokenManager({ tokenUrl: 'https://auth.example.com/oauth/token', clientId: 'c', clientSecret: 's' })
const api = withTokens(ky.create({ headers: { 'x-client': 'matrix' } }), tokens, { origins: ['https://api.example.com'] })
export const calls = [
	api.get('https://api.example.com/cob', { context: { tokenwarden: false } satisfies TokenwardenContext }),
	api.get('https://api.example.com/cob', { context: { tokenwarden: { subject: 'account-42' } } satisfies TokenwardenContext }),
]
export const hooked = ky.create({ hooks: tokenHooks(tokens, { origins: ['https://api.example.com'] }) })

import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const hooks = fileURLToPath(new URL('../../../test-support/source-hooks.ts', import.meta.url))

describe('process lifetime', () => {
	it('a script waiting out a Retry-After still gets its token: the backoff timer keeps the process alive', () => {
		const script = `
			import { createServer } from 'node:http'
			import { createTokenManager } from '@tokenwarden/core'
			let requests = 0
			const server = createServer((request, response) => {
				requests++
				if (requests === 1) return response.writeHead(503, { 'retry-after': '1' }).end()
				response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ access_token: 'late', token_type: 'Bearer', expires_in: 60 }))
			})
			server.listen(0, '127.0.0.1', async () => {
				server.unref()
				const tokens = createTokenManager({ tokenUrl: 'http://127.0.0.1:' + server.address().port + '/token', clientId: 'c', clientSecret: 's' })
				const token = await tokens.getToken()
				console.log('got ' + token.accessToken + ' after ' + requests + ' requests')
			})`
		const result = spawnSync(process.execPath, ['--import', hooks, '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 20_000 })
		expect(result.stdout.trim()).toBe('got late after 2 requests')
		expect(result.status).toBe(0)
		// The child lingers on keep-alive sockets for seconds after its token; allow what spawnSync allows.
	}, 25_000)
})

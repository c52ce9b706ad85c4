import { expect, it, vi } from 'vitest'

// If anything in the package imported nock when it loads, this factory would run (and throw): a project
// without nock installed could not use staticTokenManager or createTokenServer.
const loads = vi.hoisted(() => ({ nock: 0 }))
vi.mock('nock', () => {
	loads.nock++
	throw new Error('nock was imported at module load')
})

it('loads, and runs staticTokenManager and createTokenServer, without importing nock', async () => {
	const { createTokenServer, staticTokenManager } = await import('@tokenwarden/testing')
	const { createTokenManager } = await import('@tokenwarden/core')
	expect((await staticTokenManager('static').getToken()).accessToken).toBe('static')
	const server = createTokenServer({ tokenUrl: 'https://auth.example.com/oauth/token', clientId: 'app', clientSecret: 'secret' })
	const tokens = createTokenManager({ tokenUrl: server.tokenUrl, clientId: 'app', clientSecret: 'secret', fetch: server.fetch })
	expect((await tokens.getToken()).accessToken).toBe('access-1')
	expect(loads.nock).toBe(0)
})

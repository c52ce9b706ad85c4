import { createTokenManager } from '@tokenwarden/core'

/**
 * A manager whose token endpoint answers only when `release()` is called: for calls that must stop
 * waiting (timeout, abort) while the token request goes on for the others. `count()` counts token requests.
 */
export function slowTokens() {
	let release: () => void = () => {}
	const gate = new Promise<void>((resolve) => {
		release = resolve
	})
	let count = 0
	const tokens = createTokenManager({
		tokenUrl: 'https://auth.example.com/oauth/token',
		clientId: 'client-1',
		clientSecret: 'client-secret',
		retry: false,
		fetch: async () => {
			count++
			await gate
			return new Response(JSON.stringify({ access_token: 'slow-1', token_type: 'Bearer', expires_in: 3600 }), { headers: { 'content-type': 'application/json' } })
		},
	})
	return { tokens, release, count: () => count }
}

/**
 * Store keys name the token endpoint and client as well as the (scope, subject) pair, so managers for
 * different clients can share one store and never hand one client's token to another.
 */
export function cacheKey(tokenUrl: string, clientId: string, scope: readonly string[], subject: string | undefined): string {
	const parts = [tokenUrl, clientId, scope.join(' '), subject === undefined ? '' : `s:${subject}`]
	return `tokenwarden:v1:${parts.map(encodeURIComponent).join(':')}`
}

/** The key of an account holder's grant (refresh token), shared by all the scopes asked for on their behalf. */
export function grantKey(tokenUrl: string, clientId: string, subject: string): string {
	return `tokenwarden:v1:grant:${[tokenUrl, clientId, subject].map(encodeURIComponent).join(':')}`
}

/** Where the scope asked for in one authorization request is kept until `exchangeCode`, under its `state`. */
export function consentStateKey(tokenUrl: string, clientId: string, state: string): string {
	return `tokenwarden:v1:consent-state:${[tokenUrl, clientId, state].map(encodeURIComponent).join(':')}`
}

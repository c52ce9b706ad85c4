// The account holder, simulated: follows the authorization URL the way a browser would, logs in on
// the provider's page, confirms with the SMS code, and ends at the partner's redirect URI with code
// and state. The redirect is read, not followed: that is where the partner's app takes over.

export interface HolderCredentials {
	login: string
	password: string
	otp: string
}

/** Returns the redirect URL (`<redirect_uri>?code=...&state=...`) and the hops taken, for the log. */
export async function holderApproves(authorizationUrl: string, credentials: HolderCredentials): Promise<{ redirect: URL; hops: string[] }> {
	const hops: string[] = []
	// 1. The authorization endpoint sends the holder to the provider's login page.
	const authorize = await fetch(authorizationUrl, { redirect: 'manual' })
	await authorize.body?.cancel()
	const loginPage = new URL(locationOf(authorize, 'authorization endpoint'), authorizationUrl)
	hops.push(`GET authorize -> ${authorize.status} login page`)
	// 2. The login page (a form the holder fills in).
	const page = await fetch(loginPage)
	await page.text()
	if (page.status !== 200) throw new Error(`login page answered ${page.status}`)
	hops.push(`GET login page -> ${page.status}`)
	// 3. Login, password and the second factor; the provider redirects back to the partner.
	const approve = await fetch(loginPage, {
		method: 'POST',
		headers: { 'content-type': 'application/x-www-form-urlencoded' },
		body: new URLSearchParams({ ...credentials }),
		redirect: 'manual',
	})
	await approve.body?.cancel()
	const redirect = new URL(locationOf(approve, 'login'), loginPage)
	hops.push(`POST login + SMS code -> ${approve.status} ${redirect.pathname}?code=…&state=…`)
	return { redirect, hops }
}

function locationOf(response: Response, what: string): string {
	const location = response.headers.get('location')
	if (response.status !== 302 || location === null) throw new Error(`${what} answered ${response.status}, expected a redirect`)
	return location
}

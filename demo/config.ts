// The demo's clock: every provider's documented behaviour, with lifetimes and rate windows shrunk so
// that the whole tour runs in about fifteen seconds. The ratios that matter are kept: a token is
// refreshed ahead well before it expires, the manager asks for tokens more slowly than the imitated
// server tolerates, and a rate window is longer than a token's life.

/** Credentials of the demo clients. Made up; the imitations accept nothing else. */
export const credentials = {
	juno: { clientId: 'demo-juno-client', clientSecret: 'demo-juno-secret' },
	bankly: { clientId: '0f9b8f2e-5d1c-4c43-9a5b-6d3c2f1e0a77', clientSecret: 'demo-bankly-secret' },
	bs2: { clientId: 'demo-bs2-pix-key', clientSecret: 'demo-bs2-pix-secret' },
	bs2Banking: { clientId: 'demo-bs2-banking-key', clientSecret: 'demo-bs2-banking-secret' },
	// The Pix providers' imitations (HTTPS, mutual TLS where the provider requires it).
	inter: { clientId: 'demo-inter-client', clientSecret: 'demo-inter-secret' },
	itau: { clientId: 'demo-itau-client', clientSecret: 'demo-itau-secret' },
	santander: { clientId: 'demo-santander-client', clientSecret: 'demo-santander-secret' },
	bancoDoBrasil: { clientId: 'demo-bb-client', clientSecret: 'demo-bb-secret' },
	sicoob: { clientId: 'demo-sicoob-client' },
	efi: { clientId: 'Client_Id_demo-efi', clientSecret: 'Client_Secret_demo-efi' },
} as const

/** The six Pix providers toured with a burst and a forced 401 each (their documented lifetimes, minutes to an hour, outlast the tour). */
export const pixProviders = ['inter', 'itau', 'santander', 'bancoDoBrasil', 'sicoob', 'efi'] as const

/** The account holder who consents in the BS2 api-banking flow (login, password, SMS code). */
export const holder = { subject: 'account-42', login: 'maria.silva', password: 'demo-password', otp: '246810' } as const

/** What each imitated server does, in demo seconds. */
export const servers = {
	// Juno documents 3 600 s (production) and 86 400 s (sandbox) JWTs and blocks clients that ask "massively".
	juno: { lifetimeSeconds: 4, block: { limit: 12, window: 10_000 }, blockFor: 10_000 },
	// Bankly's expires_in is an ISO timestamp; at most 10 scopes per token.
	bankly: { lifetimeSeconds: 4, maxScopes: 10 },
	// BS2 documents 300 s tokens (420 s in homologation) and about 10 token requests a minute.
	bs2: { lifetimeSeconds: 3, throttle: { limit: 10, window: 10_000 } },
	// BS2 api-banking: same token rules; refresh tokens live 30 days and rotate on every refresh.
	bs2Banking: { lifetimeSeconds: 3, throttle: { limit: 10, window: 10_000 }, codeLifetime: 30_000 },
} as const

/**
 * Manager options laid over each preset, in milliseconds. The presets' own values are sized for real
 * lifetimes (minutes and hours); these keep the same shape for seconds. The presets cap token
 * requests per minute (Juno 5, Bankly 10, BS2 8); here the window is 10 s, and the cap stays below
 * what the imitations tolerate in that window.
 */
export const managerTimings = {
	// Refresh in the last half of a 4 s token; never hand one out in its last second. A second of margin
	// also covers the Date header's one-second resolution, which Juno's `exp` and Bankly's timestamp are
	// corrected by.
	juno: { refreshAhead: 2_000, expiryMargin: 1_000, timeout: 2_000, rateLimit: { limit: 10, interval: 10_000 } },
	bankly: { refreshAhead: 2_000, expiryMargin: 1_000, timeout: 2_000, rateLimit: { limit: 10, interval: 10_000 } },
	// BS2 invalidates the previous token when it issues a new one, so the preset turns refresh ahead off:
	// callers wait for the successor once a token is within its margin.
	bs2: { refreshAhead: 0, expiryMargin: 500, timeout: 2_000, rateLimit: { limit: 8, interval: 10_000 } },
	bs2Banking: { refreshAhead: 0, expiryMargin: 500, timeout: 2_000, rateLimit: { limit: 8, interval: 10_000 } },
} as const

/** The whole demo stops after this, whatever happens. */
export const hardTimeout = 50_000

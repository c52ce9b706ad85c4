import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { type Fleet, startFleet, type WorkerReply } from './fleet.ts'
import { delay, uniquePrefix } from './helpers.ts'
import { startTokenServer, type TokenServer } from './token-server.ts'

const PROCESSES = 8
const CALLERS = 250
/** Token lifetime of these tests, in seconds: short, so that three lifetimes pass in a few seconds. */
const LIFETIME = 2

for (const target of ['one Redis', 'a Redis Cluster'] as const) {
	describe(`${PROCESSES} processes x ${CALLERS} concurrent callers on ${target}`, () => {
		let fleet: Fleet
		let server: TokenServer

		// One fleet for both tests (starting 8 processes is the slow part); they use different cache keys.
		beforeAll(async () => {
			server = await startTokenServer({ lifetime: LIFETIME })
			fleet = await startFleet(PROCESSES, {
				redisUrl: inject('redisUrl'),
				cluster: target === 'a Redis Cluster' ? inject('clusterNodes') : undefined,
				tokenUrl: server.url,
				prefix: uniquePrefix(),
				timeout: 2_000,
				refreshAhead: 200,
				expiryMargin: 100,
				commandTimeout: 1_000,
			})
		})

		afterAll(async () => {
			await fleet?.close()
			await server?.close()
		})

		/** Every caller in every process got the same one token, without errors or store trouble. */
		function expectOneToken(replies: WorkerReply[]): string {
			expect(replies.map((reply) => reply.errors)).toEqual(replies.map(() => []))
			expect(replies.map((reply) => reply.fulfilled)).toEqual(replies.map(() => CALLERS))
			const tokens = new Set(replies.flatMap((reply) => reply.tokens))
			expect(tokens.size).toBe(1)
			expect(replies.flatMap((reply) => reply.events).filter((type) => type === 'store-error')).toEqual([])
			return [...tokens][0] as string
		}

		it('make exactly one token request per token lifetime (three lifetimes: three requests)', async () => {
			const seen = new Set<string>()
			for (let round = 1; round <= 3; round++) {
				seen.add(expectOneToken(await fleet.burst(CALLERS)))
				expect(server.count('client_credentials')).toBe(round)
				// Let the token expire everywhere (Redis drops it with its TTL) before the next burst.
				if (round < 3) await delay(LIFETIME * 1000 + 150)
			}
			expect(seen.size).toBe(3)
			expect(server.count()).toBe(3)
		})

		it("share a holder's rotating refresh token: one refresh per lifetime, never invalid_grant", async () => {
			const subject = 'account-42'
			const exchanged = await fleet.exchange(0, 'code-1', subject)
			expect(exchanged.errors).toEqual([])
			const seen = new Set<string>()
			for (let round = 0; round <= 2; round++) {
				const token = expectOneToken(await fleet.burst(CALLERS, { subject }))
				seen.add(token)
				expect(server.count('refresh_token')).toBe(round)
				if (round < 2) await delay(LIFETIME * 1000 + 150)
			}
			expect(seen.size).toBe(3)
			expect(server.invalidGrants()).toBe(0)
			expect(server.count('authorization_code')).toBe(1)
		})
	})
}

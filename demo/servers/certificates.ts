// Certificates for the Pix imitations' mutual TLS, made with the `openssl` CLI into a temp dir at
// start (nothing committed, nothing that expires on a later run): a CA, the servers' certificate for
// 127.0.0.1, and one client certificate, also as a PKCS#12 file (Efí and Santander hand those out).
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export interface DemoCertificates {
	ca: string
	server: { cert: string; key: string }
	client: { cert: string; key: string }
	/** `client` as PKCS#12, encrypted with `passphrase`. */
	clientPfx: Buffer
	passphrase: string
}

const CONFIG = `[req]
distinguished_name = dn
prompt = no
[dn]
CN = placeholder
[ca]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
[server]
basicConstraints = critical,CA:FALSE
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1,DNS:localhost
[client]
basicConstraints = critical,CA:FALSE
extendedKeyUsage = clientAuth
`

/** Five openssl runs with EC P-256 keys: a few tens of milliseconds. */
export function demoCertificates(clientName: string): DemoCertificates {
	const dir = mkdtempSync(join(tmpdir(), 'tokenwarden-demo-'))
	const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] })
	const read = (name: string) => readFileSync(join(dir, name), 'utf8')
	const key = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '2', '-config', 'openssl.cnf']
	const passphrase = 'demo-only passphrase'
	try {
		writeFileSync(join(dir, 'openssl.cnf'), CONFIG)
		openssl('req', '-x509', ...key, '-extensions', 'ca', '-keyout', 'ca.key', '-out', 'ca.crt', '-subj', '/CN=tokenwarden demo CA')
		for (const [name, extensions, subject] of [
			['server', 'server', 'localhost'],
			['client', 'client', clientName],
		] as const) {
			openssl('req', '-x509', ...key, '-extensions', extensions, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-keyout', `${name}.key`, '-out', `${name}.crt`, '-subj', `/CN=${subject}`)
		}
		openssl('pkcs12', '-export', '-in', 'client.crt', '-inkey', 'client.key', '-passout', `pass:${passphrase}`, '-out', 'client.p12')
		return {
			ca: read('ca.crt'),
			server: { cert: read('server.crt'), key: read('server.key') },
			client: { cert: read('client.crt'), key: read('client.key') },
			clientPfx: readFileSync(join(dir, 'client.p12')),
			passphrase,
		}
	} finally {
		rmSync(dir, { recursive: true, force: true })
	}
}

/**
 * Certificates made for the test run with the openssl binary (.ci/run installs it where it is
 * missing): a CA, a server certificate it signed for 127.0.0.1 and localhost, a client
 * certificate it signed, and a self-signed client certificate no CA vouches for. Made once per
 * test process, in a temporary directory removed at exit.
 */
import {execFileSync} from 'node:child_process'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

export interface TestCerts {
  dir: string
  caCert: string
  serverCert: string
  serverKey: string
  clientCert: string
  clientKey: string
  /** self-signed: not from the CA */
  strayCert: string
  strayKey: string
}

let made: TestCerts | null = null

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, {cwd, stdio: ['ignore', 'ignore', 'pipe']})
}

export function testCerts(): TestCerts {
  if (made !== null) return made
  const dir = mkdtempSync(join(tmpdir(), 'nsqkit-certs-'))
  process.once('exit', () => rmSync(dir, {recursive: true, force: true}))
  const key = (name: string): void => openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', name], dir)
  key('ca.key')
  openssl(['req', '-x509', '-new', '-key', 'ca.key', '-subj', '/CN=nsqkit test CA', '-days', '2', '-out', 'ca.pem'], dir)
  const signed = (name: string, cn: string, ext: string): void => {
    key(`${name}.key`)
    openssl(['req', '-new', '-key', `${name}.key`, '-subj', `/CN=${cn}`, '-out', `${name}.csr`], dir)
    writeFileSync(join(dir, `${name}.ext`), ext)
    openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '2', '-extfile', `${name}.ext`, '-out', `${name}.pem`], dir)
  }
  signed('server', '127.0.0.1', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n')
  signed('client', 'nsqkit-test-client', 'extendedKeyUsage=clientAuth\n')
  key('stray.key')
  openssl(['req', '-x509', '-new', '-key', 'stray.key', '-subj', '/CN=stray', '-days', '2', '-out', 'stray.pem'], dir)
  made = {
    dir,
    caCert: join(dir, 'ca.pem'),
    serverCert: join(dir, 'server.pem'),
    serverKey: join(dir, 'server.key'),
    clientCert: join(dir, 'client.pem'),
    clientKey: join(dir, 'client.key'),
    strayCert: join(dir, 'stray.pem'),
    strayKey: join(dir, 'stray.key'),
  }
  return made
}

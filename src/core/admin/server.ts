/**
 * `nsqkit admin` (nsqadmin): an HTTP server over any NSQ cluster — Go nsqd/nsqlookupd and
 * `serve` alike — that keeps no state of its own; every answer is a fresh fan-out
 * (cluster.ts) through the read API (api.ts), answered with nsq's HTTP conventions
 * (http-api/: V1 answers, {"message": CODE} errors, one log line per request).
 *
 * The read API (api.ts), the actions with their admin gate and notifications (actions.ts) and
 * the pages (pages.ts), in one route table (routes.ts). The admin layer talks to the cluster over HTTP only: it never
 * imports the broker.
 */
import {createServer, type Server} from 'node:http'
import {createHttpHandler} from '../http-api/index.js'
import {formatHostPort, parseHostPort} from '../util/hostport.js'
import type {Logger} from '../util/logger.js'
import {adminApi} from './routes.js'
import {Cluster} from './cluster.js'
import type {Logins} from './login.js'
import {History, sampleOf} from './sampler.js'

export interface AdminOptions {
  /** where to listen, `host:port` (port 0: any free one) */
  httpAddress: string
  /** a prefix for every route: '/' (none) or `/prefix` */
  basePath: string
  lookupdHttpAddresses: string[]
  nsqdHttpAddresses: string[]
  /** ms; for every upstream call */
  httpClientConnectTimeout: number
  httpClientRequestTimeout: number
  /** --admin-user: who may act (none: everyone) */
  adminUsers: string[]
  /** --acl-http-header */
  aclHttpHeader: string
  /** --notification-http-endpoint ('' = none) */
  notificationHttpEndpoint: string
  /** ms between two reads of every node's /stats for the rates and the history (0: none) */
  sampleIntervalMs?: number
  /** --basic-auth-file's users (login.ts): every request but /ping must log in */
  logins?: Logins | null
}

/** `--base-path` as nsqadmin cleans it: a leading `/`, no trailing one; '/' is none (''). */
export function normalizeBasePath(p: string): string {
  const parts = p.split('/').filter((x) => x !== '' && x !== '.')
  return parts.length === 0 ? '' : `/${parts.join('/')}`
}

export class AdminServer {
  private readonly cluster: Cluster
  private readonly server: Server
  private readonly history = new History()
  private sampler: NodeJS.Timeout | null = null
  private sampling = false

  constructor(
    private readonly opts: AdminOptions,
    private readonly log: Logger,
  ) {
    this.cluster = new Cluster({
      lookupdHttpAddresses: opts.lookupdHttpAddresses,
      nsqdHttpAddresses: opts.nsqdHttpAddresses,
      timeouts: {connectTimeoutMs: opts.httpClientConnectTimeout, requestTimeoutMs: opts.httpClientRequestTimeout},
    })
    const api = adminApi(normalizeBasePath(opts.basePath))
    const cluster = this.cluster
    const ctx = {
      cluster,
      actions: {adminUsers: opts.adminUsers, aclHttpHeader: opts.aclHttpHeader, notificationHttpEndpoint: opts.notificationHttpEndpoint, logins: opts.logins ?? null},
      log,
      notify: (endpoint: string, event: object) => cluster.notify(endpoint, event),
      now: () => Date.now(),
      history: this.history,
    }
    const handle = createHttpHandler(api, ctx, () => this.log)
    const logins = opts.logins ?? null
    const ping = `${normalizeBasePath(opts.basePath)}/ping`
    this.server = createServer((req, res) => {
      // --basic-auth-file: nothing but /ping without a login
      if (logins !== null && (req.url ?? '/').split('?')[0] !== ping && logins.user(req) === null) {
        res.writeHead(401, {'www-authenticate': 'Basic realm="nsqadmin", charset="UTF-8"', 'content-type': 'application/json; charset=utf-8'})
        res.end('{"message":"UNAUTHORIZED"}')
        return
      }
      handle(req, res)
    })
  }

  /** Listen; resolves with the address listened on (`HTTP: listening on <addr>` logged). */
  listen(): Promise<string> {
    const {host, port} = parseHostPort(this.opts.httpAddress)
    return new Promise((resolve, reject) => {
      this.server.once('error', reject)
      this.server.listen(port, host, () => {
        this.server.off('error', reject)
        const a = this.server.address()
        const addr = typeof a === 'object' && a !== null ? formatHostPort({host: a.address, port: a.port}) : this.opts.httpAddress
        this.log.info(`HTTP: listening on ${addr}`)
        const every = this.opts.sampleIntervalMs ?? 5000
        if (every > 0) {
          void this.sample()
          this.sampler = setInterval(() => void this.sample(), every)
          this.sampler.unref()
        }
        resolve(addr)
      })
    })
  }

  /** One read of every node's /stats into the history (a round still under way is not doubled). */
  private async sample(): Promise<void> {
    if (this.sampling) return
    this.sampling = true
    try {
      const nodes = await this.cluster.nodes()
      const stats = await this.cluster.statsOf(nodes.value, {includeClients: false})
      if (stats.value.length > 0) this.history.add(sampleOf(Date.now(), stats.value.map((x) => ({node: x.producer.node, doc: x.doc}))))
    } catch (err) {
      this.log.warn(`sampling the cluster's /stats failed - ${(err as Error).message}`)
    } finally {
      this.sampling = false
    }
  }

  async close(): Promise<void> {
    if (this.sampler !== null) clearInterval(this.sampler)
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve())
      this.server.closeAllConnections()
    })
    await this.cluster.close()
  }
}

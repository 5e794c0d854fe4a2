/** An in-process broker on 127.0.0.1 with ports chosen at run time, for the protocol tests. */
import {Broker, type BrokerOptions} from '../../src/core/broker/index.js'
import {silentLogger} from '../../src/core/util/logger.js'
import type {StatsDoc} from '../../src/core/protocol/stats-json.js'

export interface TestBroker {
  broker: Broker
  tcpPort: number
  httpPort: number
  http(path: string, init?: RequestInit): Promise<Response>
  stats(query?: string): Promise<StatsJson>
  close(): Promise<void>
}

/** /stats?format=json, typed as protocol/stats-json.ts has it. */
export type StatsJson = StatsDoc

export async function startBroker(opts: Partial<BrokerOptions> = {}): Promise<TestBroker> {
  const broker = new Broker({tcpAddress: '127.0.0.1:0', httpAddress: '127.0.0.1:0', ...opts}, {logger: silentLogger})
  const {tcp, http} = await broker.listen()
  const httpPort = http?.port ?? 0
  const httpFn = (path: string, init?: RequestInit): Promise<Response> => fetch(`http://127.0.0.1:${httpPort}${path}`, init)
  return {
    broker,
    tcpPort: tcp.port,
    httpPort,
    http: httpFn,
    stats: async (query = '') => (await (await httpFn(`/stats?format=json${query}`)).json()) as StatsJson,
    close: () => broker.close(),
  }
}

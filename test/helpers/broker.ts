/** An in-process broker on 127.0.0.1 with ports chosen at run time, for the protocol tests. */
import {Broker, type BrokerOptions} from '../../src/core/broker/index.js'
import {silentLogger} from '../../src/core/util/logger.js'

export interface TestBroker {
  broker: Broker
  tcpPort: number
  httpPort: number
  http(path: string, init?: RequestInit): Promise<Response>
  stats(query?: string): Promise<StatsJson>
  close(): Promise<void>
}

/** The parts of /stats?format=json the tests read. */
export interface StatsJson {
  topics: {
    topic_name: string
    depth: number
    message_count: number
    paused: boolean
    channels: {
      channel_name: string
      depth: number
      in_flight_count: number
      deferred_count: number
      message_count: number
      requeue_count: number
      timeout_count: number
      client_count: number
      paused: boolean
      clients: {client_id: string; state: number; ready_count: number; in_flight_count: number; message_count: number; finish_count: number; requeue_count: number}[] | null
    }[]
  }[] | null
  producers: unknown[] | null
}

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

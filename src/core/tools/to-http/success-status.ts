/**
 * Which HTTP answers count as delivered (nsq_to_http, NSQ-SPEC §1.3): a POST on any 2xx, a GET
 * on exactly 200 (Go's rules, the defaults). Beyond Go, `--success-status` sets it for either
 * method: `2xx` (200-299), `200`, or a comma-separated list of codes and classes
 * (`200,201,3xx`).
 */

export type SuccessStatus = (status: number) => boolean

export const POST_DEFAULT = '2xx'
export const GET_DEFAULT = '200'

/** @throws Error naming the bad item */
export function parseSuccessStatus(spec: string): SuccessStatus {
  const items = spec.split(',').map((s) => s.trim())
  const codes = new Set<number>()
  const classes = new Set<number>()
  for (const item of items) {
    const cls = /^([1-5])xx$/i.exec(item)
    if (cls) {
      classes.add(Number(cls[1]))
      continue
    }
    if (!/^[1-5]\d\d$/.test(item)) throw new Error(`invalid status ${JSON.stringify(item)} (want 2xx, 200, or a list such as 200,201,3xx)`)
    codes.add(Number(item))
  }
  return (status) => codes.has(status) || classes.has(Math.floor(status / 100))
}

/**
 * Go's url.QueryEscape over bytes (nsq_to_http's GET: `fmt.Sprintf(addr, url.QueryEscape(body))`,
 * NSQ-SPEC §1.3). A message body is bytes, not text: every byte other than the unreserved
 * `A-Z a-z 0-9 - _ . ~` becomes `%XX` (upper-case hex), and a space becomes `+` — so any body,
 * binary included, goes into the URL exactly as Go sends it.
 */

const HEX = '0123456789ABCDEF'

/** `%XX` (or the byte itself, or `+`) for each of the 256 byte values */
const TABLE: readonly string[] = Array.from({length: 256}, (_, b) => {
  if ((b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) || (b >= 0x30 && b <= 0x39) || b === 0x2d || b === 0x5f || b === 0x2e || b === 0x7e) return String.fromCharCode(b)
  if (b === 0x20) return '+'
  return `%${HEX[b >> 4]}${HEX[b & 15]}`
})

export function goQueryEscape(body: Uint8Array): string {
  let out = ''
  for (let i = 0; i < body.length; i++) out += TABLE[body[i] as number]
  return out
}

/**
 * A GET template with its one `%s` (Go: `strings.Count(addr, "%s") != 1` is fatal). Beyond Go,
 * which runs the whole template through Sprintf (so a `%20` already in it comes out as
 * `%!…(MISSING)`), only the `%s` is replaced: the rest of the URL is sent as written.
 */
export function fillTemplate(template: string, body: Uint8Array): string {
  const at = template.indexOf('%s')
  return template.slice(0, at) + goQueryEscape(body) + template.slice(at + 2)
}

/** The one error nsq_to_http gives a GET address without exactly one `%s`, or null. */
export function checkGetTemplate(template: string): string | null {
  return template.split('%s').length === 2 ? null : `invalid GET address - must be a printf string (exactly one %s): ${JSON.stringify(template)}`
}

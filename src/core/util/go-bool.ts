/**
 * Go's strconv.ParseBool: the one place its spellings live. Go's flag package reads bool flags
 * with it (`-deflate=false`), and go-nsq's Config.Set reads bool options with it
 * (`--consumer-opt snappy,T`). Nothing else is a bool: not `yes`, not `on`, not `tRUE`.
 */

export const GO_TRUE: ReadonlySet<string> = new Set(['1', 't', 'T', 'TRUE', 'true', 'True'])
export const GO_FALSE: ReadonlySet<string> = new Set(['0', 'f', 'F', 'FALSE', 'false', 'False'])

/** Every spelling ParseBool accepts, trues first (for error messages). */
export const GO_BOOL_SPELLINGS: readonly string[] = Object.freeze([...GO_TRUE, ...GO_FALSE])

/** true or false as strconv.ParseBool reads `s`; null where Go returns an error. */
export function parseGoBool(s: string): boolean | null {
  if (GO_TRUE.has(s)) return true
  if (GO_FALSE.has(s)) return false
  return null
}

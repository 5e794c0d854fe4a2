/**
 * nsq_to_nsq's JSON filtering (NSQ-SPEC §1.4), decision by decision as nsq 1.3.0's HandleMessage,
 * shouldPassMessage and filterMessage make it. Pure: a body in, what to do with it out.
 *
 *   on only when --require-json-field or --whitelist-json-field is set (a --require-json-value
 *   without a field is ignored, as Go ignores it)
 *   1. json.Unmarshal(body, &map[string]interface{}) (go-json-decode.ts). An error drops the
 *      message (FIN, nothing forwarded) with Go's log line. Go's quirks follow from that call: a
 *      top-level array, string, number or bool is an error, but a top-level `null` is not (it
 *      leaves a nil map, an object without fields); trailing bytes, a BOM or a number beyond
 *      float64 are errors; duplicate keys keep the last.
 *   2. --require-json-field: a missing top-level field (a field whose value is null is present)
 *      drops the message, or, when --require-json-value is set too, returns an error: REQ with
 *      backoff, and Go logs "missing field to check required value".
 *      --require-json-value: a JSON string must equal it exactly; otherwise, if the argument
 *      parses as strconv.ParseFloat reads it (go-parse-float.ts: `1e2`, `1_00`, `0x1.9p6` all
 *      are 100; ` 100` and `0x64` are not numbers), a JSON number must be == to it (so -0
 *      matches 0, and 12345678901234567890 matches 12345678901234567000: both are the same
 *      float64); anything else (a bool, null, object, array, or a number against a non-number
 *      argument) is dropped. Go logs nothing for these drops.
 *   3. --whitelist-json-field: a new object of the listed top-level keys that are present; a
 *      top-level float64 that is a whole number in int64's range becomes an int64, so it prints
 *      with every digit (2^60 is 1152921504606846976 and -0 is 0, where the float64 would print
 *      1152921504606847000 and -0); values nested deeper, and whole numbers from 2^63 up, stay
 *      float64. (2^63 itself is what amd64 does: its float-to-int conversion gives MinInt64 for
 *      2^63, so the value stays a float64; arm64 saturates to MaxInt64 and would write
 *      9223372036854775807.) Then json.Marshal (go-json.ts): keys sorted, no whitespace,
 *      HTML-safe strings.
 *   Without a whitelist the body is forwarded as it came, the same Buffer.
 */
import type {GoJsonObject, GoJsonValue} from './go-json.js'
import {marshalGo} from './go-json.js'
import {unmarshalGo} from './go-json-decode.js'
import {parseGoFloat} from './go-parse-float.js'

export interface JsonFilterOptions {
  /** --require-json-field ('' = none) */
  requireField: string
  /** --require-json-value ('' = none; only read when requireField is set) */
  requireValue: string
  /** --whitelist-json-field, in the order given (empty = forward the body unchanged) */
  whitelist: readonly string[]
}

export type FilterResult =
  | {action: 'pass'; body: Buffer}
  | {action: 'drop'; reason: string}
  | {action: 'requeue'; reason: string}

/** Go's log text for the requeue (REQ + backoff) case, logged at ERROR. */
export const MISSING_FIELD_FOR_VALUE = 'missing field to check required value'
/** The prefix of Go's log text for a body that is not a JSON object, logged at ERROR with the body. */
export const UNABLE_TO_DECODE = 'Unable to decode json: '

const NO_FIELDS: GoJsonObject = new Map()
const INT64_LIMIT = 2 ** 63

/** Whether filtering applies at all: Go decodes bodies only with a required field or a whitelist. */
export function jsonFilterActive(o: JsonFilterOptions): boolean {
  return o.requireField !== '' || o.whitelist.length > 0
}

/**
 * What nsq_to_nsq does with `body`. Reasons: for 'requeue' and for a 'drop' of an undecodable
 * body they are Go's log lines (less the `ERROR: ` level); for the other drops Go logs nothing
 * and the reason only explains.
 */
export function filterMessage(body: Buffer, o: JsonFilterOptions): FilterResult {
  if (!jsonFilterActive(o)) return {action: 'pass', body}
  const decoded = unmarshalGo(body)
  if (!decoded.ok || !(decoded.value === null || decoded.value instanceof Map)) {
    return {action: 'drop', reason: UNABLE_TO_DECODE + body.toString('utf8')}
  }
  const js: GoJsonObject = decoded.value ?? NO_FIELDS

  if (o.requireField !== '') {
    if (!js.has(o.requireField)) {
      if (o.requireValue !== '') return {action: 'requeue', reason: MISSING_FIELD_FOR_VALUE}
      return {action: 'drop', reason: `the required field ${JSON.stringify(o.requireField)} is missing`}
    }
    if (o.requireValue !== '' && !valueMatches(js.get(o.requireField) as GoJsonValue, o.requireValue)) {
      return {action: 'drop', reason: `the field ${JSON.stringify(o.requireField)} does not have the required value`}
    }
  }

  if (o.whitelist.length === 0) return {action: 'pass', body}
  const kept = new Map<string, GoJsonValue>()
  for (const key of o.whitelist) {
    if (js.has(key)) kept.set(key, wholeToInt64(js.get(key) as GoJsonValue))
  }
  return {action: 'pass', body: Buffer.from(marshalGo(kept), 'utf8')}
}

/** shouldPassMessage's comparison of the field's value with --require-json-value. */
function valueMatches(v: GoJsonValue, want: string): boolean {
  if (typeof v === 'string') return v === want
  const n = parseGoFloat(want)
  if (n === undefined) return false // the argument is no number: give up on other types
  return typeof v === 'number' && v === n
}

/** filterMessage's `int64(f)` round trip on amd64: whole float64s in [-2^63, 2^63) become int64. */
function wholeToInt64(v: GoJsonValue): GoJsonValue {
  if (typeof v === 'number' && Number.isInteger(v) && v >= -INT64_LIMIT && v < INT64_LIMIT) return BigInt(v)
  return v
}

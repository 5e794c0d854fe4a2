/**
 * A Go RE2 pattern, matched unanchored as regexp.MatchString does, turned into a JS RegExp:
 * nsq_to_file's `--topic-pattern` (NSQ-SPEC §1.2 "Topic selection") and the topic and channel
 * regexes an auth server grants (§2.6). One pass over the pattern
 * rewrites what the two dialects spell differently and rejects what RE2 has and JS (without
 * the `u` flag, Node 20) would read otherwise or not at all, so a pattern either means the same
 * on both sides or fails with an Error naming it.
 *
 * Rewritten:
 *   (?flags) at the very start, flags of i m s   → the RegExp's flags
 *   (?P<name>re)                                 → (?<name>re)
 *   \A  \z                                       → (?<![\s\S])  (?![\s\S])   (text start, end)
 *   \Q...\E                                      → the text between, escaped
 *   \a  \x{HHHH}  \123 (octal)                   → \x07  \uHHHH  \xHH / \uHHHH
 *   [:alpha:] and the other ASCII classes, in [] → their ranges
 *   a ] first in a class ([]a])                  → \]
 * Rejected (Error): the U flag, flags anywhere else or scoped (?i:re), \p \P (Unicode classes),
 * \C, \x{...} above U+FFFF, [:^name:], and what RE2 itself rejects but JS would take:
 * lookaround (?= (?! (?<= (?<!, backreferences \1 \k<n> (?P=n), escapes of letters RE2 does not
 * know. The rest (literals, . * + ? {n,m} | () (?:) [] \d \w \s \b ^ $) is passed to RegExp,
 * and whatever it cannot compile is rejected too.
 * Not covered: RE2's Unicode-aware case folding and \s without \v. Topic and channel names
 * are ASCII ([.a-zA-Z0-9_-]), where the two agree.
 */

const POSIX: Readonly<Record<string, string>> = {
  alnum: '0-9A-Za-z',
  alpha: 'A-Za-z',
  ascii: '\\x00-\\x7F',
  blank: '\\t ',
  cntrl: '\\x00-\\x1F\\x7F',
  digit: '0-9',
  graph: '!-~',
  lower: 'a-z',
  print: ' -~',
  punct: '!-\\/:-@\\[-`{-~',
  space: '\\t\\n\\v\\f\\r ',
  upper: 'A-Z',
  word: '0-9A-Za-z_',
  xdigit: '0-9A-Fa-f',
}

/** Escapes RE2 and JS read alike (outside a class; in a class without b, B, A, z). */
const SAME_ESCAPES = 'fnrtvdDsSwWbB'

const escapeLiteral = (s: string): string => s.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&')

const codeUnit = (n: number): string => (n <= 0xff ? `\\x${n.toString(16).padStart(2, '0')}` : `\\u${n.toString(16).padStart(4, '0')}`)

class PatternError extends Error {}

/** The JS RegExp that matches what Go's regexp.MatchString(pattern, s) matches (see above). */
export function goRegexp(pattern: string): RegExp {
  try {
    const {source, flags} = translate(pattern)
    return new RegExp(source, flags)
  } catch (err) {
    const why = err instanceof PatternError ? err.message : (err as Error).message.replace(/^Invalid regular expression: \/.*\/[a-z]*: /s, '')
    throw new Error(`error parsing regexp ${JSON.stringify(pattern)}: ${why}`)
  }
}

function translate(pattern: string): {source: string; flags: string} {
  let i = 0
  let flags = ''
  const lead = /^\(\?([a-zA-Z]+)\)/.exec(pattern)
  if (lead) {
    for (const f of lead[1] as string) {
      if (f === 'U') throw new PatternError('the U (ungreedy) flag is not supported')
      if (!'ims'.includes(f)) throw new PatternError(`invalid or unsupported Perl syntax: (?${lead[1]})`)
      if (!flags.includes(f)) flags += f
    }
    i = lead[0].length
  }
  let out = ''
  let inClass = false
  /** out's length when the current class's first member would start (after `[` or `[^`) */
  let classStart = -1
  while (i < pattern.length) {
    const c = pattern[i] as string
    if (c === '\\') {
      const [text, next] = escape(pattern, i, inClass)
      out += text
      i = next
      continue
    }
    if (inClass) {
      if (c === ']' && out.length === classStart) {
        out += '\\]' // RE2: a ] first in a class is a member; JS: [] is the empty class
        i++
        continue
      }
      if (c === ']') {
        inClass = false
        out += c
        i++
        continue
      }
      if (c === '[' && pattern[i + 1] === ':') {
        const m = /^\[:(\^?)([a-z]+):\]/.exec(pattern.slice(i))
        if (m) {
          if (m[1]) throw new PatternError(`negated class [:^${m[2]}:] is not supported`)
          const range = POSIX[m[2] as string]
          if (range === undefined) throw new PatternError(`invalid character class range: [:${m[2]}:]`)
          out += range
          i += m[0].length
          continue
        }
      }
      out += c === '[' ? '\\[' : c
      i++
      continue
    }
    if (c === '[') {
      inClass = true
      const negated = pattern[i + 1] === '^'
      out += negated ? '[^' : '['
      i += negated ? 2 : 1
      classStart = out.length
      continue
    }
    if (c === '(' && pattern[i + 1] === '?') {
      const rest = pattern.slice(i + 2)
      const named = /^P?<([A-Za-z0-9_]+)>/.exec(rest)
      if (named) {
        out += `(?<${named[1]}>`
        i += 2 + named[0].length
        continue
      }
      if (rest.startsWith(':')) {
        out += '(?:'
        i += 3
        continue
      }
      if (/^(=|!|<=|<!)/.test(rest)) throw new PatternError('lookaround (?= (?! (?<= (?<! is not RE2 syntax')
      if (rest.startsWith('P=')) throw new PatternError('backreferences are not RE2 syntax')
      throw new PatternError(`invalid or unsupported Perl syntax: ${pattern.slice(i, i + 4)}`)
    }
    out += c
    i++
  }
  if (inClass) throw new PatternError(`missing closing ]: ${pattern.slice(pattern.lastIndexOf('['))}`)
  return {source: out, flags}
}

/** The JS for the escape at `pattern[i]` (a backslash), and the index after it. */
function escape(pattern: string, i: number, inClass: boolean): [string, number] {
  const c = pattern[i + 1]
  if (c === undefined) throw new PatternError('trailing backslash at end of expression')
  if (SAME_ESCAPES.includes(c) && !(inClass && (c === 'b' || c === 'B'))) return [`\\${c}`, i + 2]
  if (!inClass && c === 'A') return ['(?<![\\s\\S])', i + 2]
  if (!inClass && c === 'z') return ['(?![\\s\\S])', i + 2]
  if (!inClass && c === 'Q') {
    const end = pattern.indexOf('\\E', i + 2)
    const text = pattern.slice(i + 2, end < 0 ? pattern.length : end)
    return [escapeLiteral(text), end < 0 ? pattern.length : end + 2]
  }
  if (c === 'a') return ['\\x07', i + 2]
  if (c === 'x') {
    if (pattern[i + 2] === '{') {
      const m = /^\{([0-9A-Fa-f]+)\}/.exec(pattern.slice(i + 2))
      if (!m) throw new PatternError(`invalid escape sequence: ${pattern.slice(i, i + 4)}`)
      const n = parseInt(m[1] as string, 16)
      if (n > 0xffff) throw new PatternError(`\\x{${m[1]}} above U+FFFF is not supported`)
      return [codeUnit(n), i + 2 + m[0].length]
    }
    if (!/^[0-9A-Fa-f]{2}/.test(pattern.slice(i + 2))) throw new PatternError(`invalid escape sequence: ${pattern.slice(i, i + 4)}`)
    return [pattern.slice(i, i + 4), i + 4]
  }
  if (c >= '0' && c <= '7') {
    // RE2: up to three octal digits; a lone \1-\7 would be a backreference, which it rejects
    const m = /^[0-7]{1,3}/.exec(pattern.slice(i + 1)) as RegExpExecArray
    if (c !== '0' && m[0].length === 1) throw new PatternError(`invalid escape sequence: \\${c} (backreferences are not RE2 syntax)`)
    return [codeUnit(parseInt(m[0], 8)), i + 1 + m[0].length]
  }
  if (c === 'p' || c === 'P') throw new PatternError(`Unicode classes \\${c} are not supported`)
  if (/[0-9A-Za-z]/.test(c) || c.charCodeAt(0) >= 0x80) throw new PatternError(`invalid escape sequence: \\${c}`)
  return [`\\${c}`, i + 2] // an escaped ASCII punctuation character: itself in both
}

/** ProtocolError, FrameError, error codes and goQuote. */
import test from 'node:test'
import assert from 'node:assert/strict'

import {
  ERROR_CODES,
  FrameError,
  NON_FATAL_CODES,
  ProtocolError,
  goQuote,
  isFatalCode,
  isNsqErrorCode,
} from '../../../src/core/protocol/index.js'

test('ProtocolError: fatal is false only for E_FIN_FAILED, E_REQ_FAILED and E_TOUCH_FAILED', () => {
  const nonFatal = ['E_FIN_FAILED', 'E_REQ_FAILED', 'E_TOUCH_FAILED']
  assert.deepEqual([...NON_FATAL_CODES].sort(), [...nonFatal].sort())
  for (const code of ERROR_CODES) {
    const err = new ProtocolError(code, 'x')
    assert.equal(err.fatal, !nonFatal.includes(code), code)
    assert.equal(isFatalCode(code), err.fatal)
  }
  assert.equal(isFatalCode('E_SOMETHING_ELSE'), true, 'unknown codes are fatal')
})

test('ProtocolError: the fatal flag can be overridden', () => {
  assert.equal(new ProtocolError('E_INVALID', 'x', false).fatal, false)
  assert.equal(new ProtocolError('E_FIN_FAILED', 'x', true).fatal, true)
})

test('ProtocolError: fields, message and frameText', () => {
  const err = new ProtocolError('E_BAD_TOPIC', 'SUB topic name "bad!topic" is not valid')
  assert.ok(err instanceof Error)
  assert.equal(err.name, 'ProtocolError')
  assert.equal(err.code, 'E_BAD_TOPIC')
  assert.equal(err.description, 'SUB topic name "bad!topic" is not valid')
  assert.equal(err.message, 'E_BAD_TOPIC SUB topic name "bad!topic" is not valid')
  assert.equal(err.frameText(), err.message)
  assert.equal(new ProtocolError('E_BAD_PROTOCOL', '').frameText(), 'E_BAD_PROTOCOL', 'no trailing space without a description')
})

test('ProtocolError.fromFrame: parses error frame data', () => {
  const a = ProtocolError.fromFrame(Buffer.from('E_FIN_FAILED FIN 0000000000000000 failed ID not in flight'))
  assert.equal(a.code, 'E_FIN_FAILED')
  assert.equal(a.description, 'FIN 0000000000000000 failed ID not in flight')
  assert.equal(a.fatal, false)
  const b = ProtocolError.fromFrame('E_BAD_PROTOCOL')
  assert.equal(b.code, 'E_BAD_PROTOCOL')
  assert.equal(b.description, '')
  assert.equal(b.frameText(), 'E_BAD_PROTOCOL')
  const c = ProtocolError.fromFrame('E_INVALID ')
  assert.equal(c.code, 'E_INVALID')
  assert.equal(c.description, '')
})

test('ProtocolError.fromFrame: unknown codes become E_INVALID with the whole text', () => {
  for (const text of ['E_NEW_THING something', 'garbage', '', ' E_INVALID x']) {
    const err = ProtocolError.fromFrame(text)
    assert.equal(err.code, 'E_INVALID')
    assert.equal(err.description, text)
    assert.equal(err.fatal, true)
  }
})

test('ProtocolError.fromFrame(frameText()) round-trips every code', () => {
  for (const code of ERROR_CODES) {
    const err = new ProtocolError(code, `${code} description with spaces`)
    const back = ProtocolError.fromFrame(err.frameText())
    assert.equal(back.code, code)
    assert.equal(back.description, err.description)
    assert.equal(back.fatal, err.fatal)
  }
})

test('isNsqErrorCode', () => {
  for (const code of ERROR_CODES) assert.equal(isNsqErrorCode(code), true)
  for (const s of ['', 'E_BAD_FRAME', 'e_invalid', 'OK']) assert.equal(isNsqErrorCode(s), false)
  assert.equal(ERROR_CODES.length, new Set(ERROR_CODES).size)
})

test('FrameError: code E_BAD_FRAME, plain message', () => {
  const err = new FrameError('invalid frame size 3')
  assert.ok(err instanceof Error)
  assert.ok(!(err instanceof ProtocolError))
  assert.equal(err.code, 'E_BAD_FRAME')
  assert.equal(err.name, 'FrameError')
  assert.equal(err.message, 'invalid frame size 3')
})

test('goQuote: like Go %q on ASCII', () => {
  assert.equal(goQuote('bad!topic'), '"bad!topic"')
  assert.equal(goQuote(''), '""')
  assert.equal(goQuote('a"b'), '"a\\"b"')
  assert.equal(goQuote('a\\b'), '"a\\\\b"')
  assert.equal(goQuote('\n\r\t'), '"\\n\\r\\t"')
  assert.equal(goQuote('\u0007\b\f\v'), '"\\a\\b\\f\\v"')
  assert.equal(goQuote('\u0000\u0001\u001f'), '"\\x00\\x01\\x1f"')
  assert.equal(goQuote('\u007f'), '"\\x7f"')
  assert.equal(goQuote(" ~'`"), `" ~'\`"`)
})

test('goQuote: invalid UTF-8 bytes (a latin1-decoded line) are escaped as \\xNN', () => {
  assert.equal(goQuote('\u00ff\u0080'), '"\\xff\\x80"')
  assert.equal(goQuote('\u00c3'), '"\\xc3"') // truncated sequence
  assert.equal(goQuote('\u00c0\u00af'), '"\\xc0\\xaf"') // overlong
})

test('goQuote: printable UTF-8 stays as its bytes, as Go keeps printable runes', () => {
  const cafe = Buffer.from('café', 'utf8').toString('latin1')
  assert.equal(goQuote(cafe), `"${cafe}"`)
  assert.equal(Buffer.from(goQuote(cafe), 'latin1').toString('utf8'), '"café"')
  // a non-printable rune (U+200B zero width space) gets \u
  assert.equal(goQuote(Buffer.from('a\u200bb', 'utf8').toString('latin1')), '"a\\u200bb"')
})

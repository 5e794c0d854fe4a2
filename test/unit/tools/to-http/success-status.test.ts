import assert from 'node:assert/strict'
import {test} from 'node:test'
import {GET_DEFAULT, POST_DEFAULT, parseSuccessStatus} from '../../../../src/core/tools/to-http/success-status.js'

const table = (spec: string): number[] => {
  const ok = parseSuccessStatus(spec)
  return [100, 199, 200, 201, 204, 299, 300, 302, 399, 400, 404, 499, 500, 503, 599].filter(ok)
}

test('the defaults: POST any 2xx, GET exactly 200 (nsq_to_http)', () => {
  assert.deepEqual(table(POST_DEFAULT), [200, 201, 204, 299])
  assert.deepEqual(table(GET_DEFAULT), [200])
})

test('a list of codes and classes, any case, spaces allowed', () => {
  assert.deepEqual(table('200,201,3xx'), [200, 201, 300, 302, 399])
  assert.deepEqual(table(' 204 , 4XX'), [204, 400, 404, 499])
})

test('anything else is refused, naming the item', () => {
  for (const bad of ['', '2x', '20', '600', '099', 'ok', '200,', '2xx,abc', '6xx']) {
    assert.throws(() => parseSuccessStatus(bad), /invalid status/, bad)
  }
})

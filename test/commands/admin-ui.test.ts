/**
 * `nsqkit admin`'s pages in a real browser: Debian's chromium (CHROMIUM_PATH, default
 * /usr/bin/chromium; .ci/run installs it) driven by puppeteer-core, over a real cluster of
 * children (`nsqkit lookupd`, two `nsqkit serve` registered with it) and the built CLI's admin.
 * What an operator sees and does, checked where it lands (the nodes' /stats):
 *
 *  - Streams lists the topics with their channels' depth summed over the nodes; the filter box
 *  - Topic: a row per node and the total, its channel; Pause from the page (the dialog's OK) pauses
 *    it on both nodes, and the page then offers UnPause
 *  - Channel: the clients of both nodes with their node; Delete asks for the channel's name
 *    typed (OK stays disabled until it is), then the channel is gone from both nodes
 *  - the live tail: Start, then a message published from the page's own form shows in the tail
 *    (and lands on the node); Stop closes the stream and its ephemeral channel goes
 *  - Node: the node's topics and totals; Counter: the cluster's messages processed, live;
 *    Lookup: a topic and channel created from its form show as inactive (the lookupd has them)
 *  - a non-admin (--admin-user set, no ACL header) sees no action buttons
 *  - a node stopped mid-run: the topic page still loads, with the live node's data and a banner
 *
 * Screenshots of the main pages go to $ADMIN_SHOTS (default: <tmpdir>/nsqkit-admin-shots).
 * Without chromium the file is skipped, saying why — except under CI (.ci/run installs it and
 * sets CI), where a missing browser fails it.
 */
import assert from 'node:assert/strict'
import {existsSync, mkdirSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, before, describe, test} from 'node:test'
import puppeteer, {type Browser, type Page} from 'puppeteer-core'
import {Consumer} from '../../src/core/client/consumer.js'
import {createChannel, killChildren, mpub} from '../helpers/cli.js'
import {startAdmin as startAdminChild} from '../helpers/admin.js'
import {topicNames} from '../helpers/names.js'

const startAdmin = async (args: string[]): Promise<string> => (await startAdminChild(args)).url
import {HOST} from '../helpers/net.js'
import {startLookupd, startServe, type ServeChild} from '../helpers/serve.js'
import {waitFor} from '../helpers/wait.js'

const T = {timeout: 60_000}
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
const SHOTS = process.env.ADMIN_SHOTS ?? join(tmpdir(), 'nsqkit-admin-shots')
const topicName = topicNames('adminui')
const children: ServeChild[] = []
const consumers: Consumer[] = []
let browser: Browser

after(async () => {
  await browser?.close()
  await Promise.all(consumers.map((c) => c.stop(3000)))
  killChildren()
  await Promise.all(children.map((c) => c.stop('SIGKILL')))
})

interface Stats {
  topics: {topic_name: string; paused: boolean; channels: {channel_name: string; paused: boolean; depth: number}[]}[] | null
}

async function stats(s: ServeChild, topic: string): Promise<Stats['topics']> {
  const res = await fetch(`http://${HOST}:${s.httpPort}/stats?format=json&topic=${topic}`, {signal: AbortSignal.timeout(5000)})
  return ((await res.json()) as Stats).topics
}

/** What the callbacks run in the page read of an element (the tests have no DOM types). */
interface El {
  innerText: string
  hidden: boolean
  disabled: boolean
  dataset: Record<string, string | undefined>
}
const text = (page: Page, sel: string): Promise<string[]> => page.$$eval(sel, (els) => els.map((e) => (e as unknown as El).innerText.trim()))

async function shot(page: Page, name: string): Promise<void> {
  mkdirSync(SHOTS, {recursive: true})
  await page.screenshot({path: join(SHOTS, `${name}.png`), fullPage: true})
}

const NO_BROWSER = existsSync(CHROMIUM) ? false : `no chromium at ${CHROMIUM}: install Debian's chromium (apt-get install chromium) or set CHROMIUM_PATH`
if (NO_BROWSER && process.env.CI) throw new Error(NO_BROWSER)

describe('the admin pages in chromium', {concurrency: false, skip: NO_BROWSER}, () => {
  let n1: ServeChild
  let n2: ServeChild
  let lookupd: ServeChild
  let admin: string
  let page: Page
  const orders = topicName('orders')
  const events = topicName('events')

  before(async () => {
    browser = await puppeteer.launch({executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage']})
    lookupd = await startLookupd()
    children.push(lookupd)
    for (let i = 0; i < 2; i++) children.push(await startServe([`--lookupd-tcp-address=${lookupd.tcpAddress}`, '--broadcast-address=127.0.0.1']))
    ;[n1, n2] = children.slice(1) as [ServeChild, ServeChild]
    await createChannel(n1.httpPort, orders, 'billing')
    await createChannel(n2.httpPort, orders, 'billing')
    await mpub(n1.httpPort, orders, Array.from({length: 30}, (_, i) => `o${i}`))
    await mpub(n2.httpPort, orders, Array.from({length: 12}, (_, i) => `o${i}`))
    await createChannel(n1.httpPort, events, 'audit')
    await mpub(n1.httpPort, events, ['e1', 'e2', 'e3', 'e4', 'e5'])
    await waitFor(
      'lookupd lists both producers of orders',
      async () => {
        const r = await fetch(`http://${HOST}:${lookupd.httpPort}/lookup?topic=${orders}`)
        return r.status === 200 && ((await r.json()) as {producers: unknown[]}).producers.length === 2 ? true : undefined
      },
      {timeoutMs: 10_000, everyMs: 50},
    )
    admin = await startAdmin([`--lookupd-http-address=${HOST}:${lookupd.httpPort}`])
    page = await browser.newPage()
    await page.setViewport({width: 1200, height: 800})
  })

  test('Streams: each topic with its channels\' depth over both nodes; the filter box hides the others', T, async () => {
    await page.goto(`${admin}/`, {waitUntil: 'load'})
    const row = await page.$eval(`#topics tr[data-topic="${orders}"]`, (tr) => [...tr.querySelectorAll('td')].map((td) => (td as unknown as El).innerText.trim()))
    // topic, depth, channels' depth, messages, msgs/s (a number once two samples are in), channels
    assert.deepEqual([row[0], row[1], row[2], row[3], row[5]], [orders, '0', '42', '42', '1'])
    assert.match(row[4] ?? '', /^(–|\d+(\.\d)?)$/)
    await shot(page, 'streams')
    await page.type('#filter', 'events')
    const visible = await page.$$eval('#topics tbody tr', (trs) => trs.filter((tr) => !(tr as unknown as El).hidden).map((tr) => (tr as unknown as El).dataset.topic))
    assert.deepEqual(visible, [events])
  })

  test('Topic: a row per node and the total; Pause from the page pauses it on both nodes', T, async () => {
    await page.goto(`${admin}/topics/${orders}`, {waitUntil: 'load'})
    const rows = await text(page, '#topic-nodes tbody tr')
    assert.equal(rows.length, 3)
    assert.match(rows[2] ?? '', /^Total:\s+0\s+0 \+ 0\s+42\s+1$/)
    assert.deepEqual(await text(page, '#channels tbody tr td:first-child'), ['billing'])
    await shot(page, 'topic')
    const [pauseButton] = await page.$$('xpath/.//button[normalize-space()="Pause Topic"]')
    assert.ok(pauseButton, 'a Pause Topic button')
    await pauseButton.click()
    await page.waitForSelector('dialog[open]')
    assert.match((await text(page, 'dialog .question'))[0] ?? '', /pause .*orders/)
    await Promise.all([page.waitForNavigation({waitUntil: 'load'}), page.click('dialog button[value=ok]')])
    for (const s of [n1, n2]) assert.equal((await stats(s, orders))?.[0]?.paused, true)
    const labels = await text(page, 'button.action')
    assert.ok(labels.includes('UnPause Topic'), labels.join(', '))
  })

  test('Channel: the clients of both nodes; Delete needs the name typed, then the channel is gone', T, async () => {
    const c = new Consumer(orders, 'billing', () => undefined, {config: {max_in_flight: 5}})
    consumers.push(c)
    await c.connectToNsqd(n1.tcpAddress, n2.tcpAddress)
    await waitFor('two clients on the channel page', async () => {
      await page.goto(`${admin}/topics/${orders}/billing`, {waitUntil: 'load'})
      return (await page.$$('#clients tbody tr')).length === 2 || undefined
    }, {timeoutMs: 10_000, everyMs: 200})
    const hosts = await text(page, '#clients tbody tr td:nth-child(4)')
    assert.deepEqual(hosts.sort(), [`${HOST}:${n1.httpPort}`, `${HOST}:${n2.httpPort}`].sort())
    await shot(page, 'channel')
    await c.stop(3000)
    const [del] = await page.$$('xpath/.//button[normalize-space()="Delete Channel"]')
    assert.ok(del, 'a Delete Channel button')
    await del.click()
    await page.waitForSelector('dialog[open]')
    assert.equal(await page.$eval('dialog button[value=ok]', (b) => (b as unknown as El).disabled), true, 'OK is disabled before the name is typed')
    await page.type('dialog input[name=typed]', 'billin')
    assert.equal(await page.$eval('dialog button[value=ok]', (b) => (b as unknown as El).disabled), true, 'a wrong name keeps it disabled')
    await page.type('dialog input[name=typed]', 'g')
    assert.equal(await page.$eval('dialog button[value=ok]', (b) => (b as unknown as El).disabled), false)
    await Promise.all([page.waitForNavigation({waitUntil: 'load'}), page.click('dialog button[value=ok]')])
    assert.equal(new URL(page.url()).pathname, `/topics/${orders}`)
    for (const s of [n1, n2]) assert.deepEqual((await stats(s, orders))?.[0]?.channels, [])
  })

  test('the live tail shows a message published from the page\'s form; Stop ends its ephemeral channel', T, async () => {
    await page.goto(`${admin}/topics/${events}`, {waitUntil: 'load'})
    await page.click('#tail-start')
    const ephemeral = async (): Promise<string[]> => ((await stats(n1, events))?.[0]?.channels ?? []).map((c) => c.channel_name).filter((c) => c.endsWith('#ephemeral'))
    await waitFor('the tail\'s ephemeral channel on the node', async () => (await ephemeral()).length === 1 || undefined, {timeoutMs: 10_000, everyMs: 100})
    await page.type('#publish textarea[name=body]', 'hello from the UI')
    await page.click('#publish button[type=submit]')
    // (expressions evaluated in the page: the tests have no DOM types)
    await page.waitForFunction(`document.querySelector('#publish-status')?.textContent === 'published 1'`, {timeout: 10_000})
    await page.waitForFunction(`[...document.querySelectorAll('#tail tbody td')].some((td) => td.textContent === 'hello from the UI')`, {timeout: 10_000})
    // it landed on the node: the topic's audit channel got it too
    assert.equal((await stats(n1, events))?.[0]?.channels.find((c) => c.channel_name === 'audit')?.depth, 6)
    await shot(page, 'tail')
    await page.click('#tail-stop')
    await waitFor('the ephemeral channel gone once the tail stopped', async () => (await ephemeral()).length === 0 || undefined, {timeoutMs: 10_000, everyMs: 100})
  })

  test('Node, Counter and Lookup: the node\'s topics; the messages processed, live; create from Lookup\'s form', T, async () => {
    await page.goto(`${admin}/nodes/${HOST}:${n1.httpPort}`, {waitUntil: 'load'})
    const topicsShown = await text(page, '#node-topics tr.topic td:first-child a')
    assert.ok(topicsShown.includes(orders) && topicsShown.includes(events), topicsShown.join(', '))
    assert.match((await text(page, '.summary'))[0] ?? '', /\d+ Topics · \d+ Messages · \d+ Clients/)
    await page.goto(`${admin}/counter`, {waitUntil: 'load'})
    const api = (await (await fetch(`${admin}/api/counter`)).json()) as {stats: Record<string, {message_count: number}>}
    const total = Object.values(api.stats).reduce((x, v) => x + v.message_count, 0)
    await page.waitForFunction(`document.getElementById('counter').dataset.total === '${total}'`, {timeout: 5000})
    await mpub(n1.httpPort, events, ['more'])
    await page.waitForFunction(`Number(document.getElementById('counter').dataset.total) > ${total}`, {timeout: 5000})
    await page.goto(`${admin}/lookup`, {waitUntil: 'load'})
    const made = topicName('made')
    await page.type('#create input[name=topic]', made)
    await page.type('#create input[name=channel]', 'later')
    await Promise.all([page.waitForNavigation({waitUntil: 'load'}), page.click('#create button[type=submit]')])
    const tree = (await text(page, '#inactive'))[0] ?? ''
    assert.match(tree, new RegExp(`${made}[\\s\\S]*later`))
  })

  test('a non-admin (--admin-user set, no ACL header) sees no action buttons', T, async () => {
    const gated = await startAdmin([`--lookupd-http-address=${HOST}:${lookupd.httpPort}`, '--admin-user=alice'])
    await page.goto(`${gated}/topics/${events}`, {waitUntil: 'load'})
    assert.deepEqual(await text(page, 'button.action'), [])
    assert.ok((await text(page, 'h1'))[0]?.includes(events))
    await page.setExtraHTTPHeaders({'X-Forwarded-User': 'alice'})
    await page.goto(`${gated}/topics/${events}`, {waitUntil: 'load'})
    assert.deepEqual(await text(page, 'button.action'), ['Empty Queue', 'Delete Topic', 'Pause Topic'])
    await page.setExtraHTTPHeaders({})
  })

  test('Nodes lists both nsqds; a node stopped: the topic page loads with the live node and a banner', T, async () => {
    const direct = await startAdmin([`--nsqd-http-address=${HOST}:${n1.httpPort}`, `--nsqd-http-address=${HOST}:${n2.httpPort}`])
    await page.goto(`${direct}/nodes`, {waitUntil: 'load'})
    assert.equal((await page.$$('#nodes tbody tr')).length, 2)
    await shot(page, 'nodes')
    await n2.stop()
    await page.goto(`${direct}/topics/${orders}`, {waitUntil: 'load'})
    const rows = await text(page, '#topic-nodes tbody tr')
    assert.equal(rows.length, 2, rows.join(' | '))
    // the live node: still paused (the Topic test), its channel gone (the Channel test), its 30 messages
    assert.match(rows[0] ?? '', new RegExp(`${HOST}:${n1.httpPort}\\) paused\\s+0\\s+0 \\+ 0\\s+30\\s+0$`))
    const banner = await text(page, '.alert.warning')
    assert.match(banner[0] ?? '', new RegExp(`did not answer.*${HOST}:${n2.httpPort}`, 's'))
    await shot(page, 'node-down')
  })
})

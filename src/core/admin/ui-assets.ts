/**
 * The two files the admin pages load (pages.ts): the stylesheet, and one script, an ES module
 * the browser runs as it is (no bundler, nothing from another origin). Kept here as text so the
 * package serves them from its own code, wherever it is installed.
 *
 * The script:
 *  - action buttons (`data-method`, `data-url`, `data-body`, `data-confirm`, and
 *    `data-type-to-confirm` for a delete): the <dialog> asks first (a delete enables OK only once
 *    the name is typed), then the request; on success the page reloads (or goes to `data-then`),
 *    on failure the answer's message shows in the red box
 *  - the Streams page's filter box: hides the topics whose name does not contain the text
 *  - the create form on Lookup: POST {"topic", "channel"}, then reload
 *  - the Counter page: polls /api/counter every second and shows the sum
 *  - the Topic page's live tail: an EventSource on /api/tail/<t>, the newest 200 messages on top;
 *    Pause stops showing them (they go on being read and FINed), Stop closes the stream
 *  - the Topic page's publish form: POST {"node", "body", "split_lines"} to /api/publish/<t>
 *  - live pages: every 5 s (while no dialog is open and the tab is visible) the page is fetched
 *    again and its tables, banner and rates replaced in place (the filter is kept)
 */

export const ADMIN_CSS = `:root { color-scheme: light dark; --fg: #1d2329; --bg: #fff; --muted: #6b7680; --line: #d9dee3; --accent: #2a6fb0; --warn-bg: #fff6d6; --warn-fg: #6b5200; --err-bg: #fde4e4; --err-fg: #8a1c1c; }
@media (prefers-color-scheme: dark) { :root { --fg: #e3e7ea; --bg: #15191d; --muted: #98a2ab; --line: #2f363d; --accent: #6aa8e6; --warn-bg: #3b3110; --warn-fg: #f1d88a; --err-bg: #3e1717; --err-fg: #f3b0b0; } }
body { margin: 0; font: 14px/1.45 system-ui, sans-serif; color: var(--fg); background: var(--bg); }
header { display: flex; gap: 1.2em; align-items: baseline; padding: .6em 1.2em; border-bottom: 1px solid var(--line); }
header nav a { margin-right: 1em; }
header .brand { font-weight: 700; }
header .version { margin-left: auto; color: var(--muted); font-size: 12px; }
main { padding: 1em 1.2em; }
a { color: var(--accent); text-decoration: none; }
a:hover { text-decoration: underline; }
table { border-collapse: collapse; margin: .5em 0 1.5em; min-width: 40em; }
th, td { text-align: left; padding: .3em .8em; border-bottom: 1px solid var(--line); }
td { font-variant-numeric: tabular-nums; }
tr.total td { font-weight: 600; }
tr.out-of-date td { background: var(--warn-bg); }
td.amber { color: var(--warn-fg); background: var(--warn-bg); }
.label { display: inline-block; padding: 0 .45em; border-radius: 3px; background: var(--line); font-size: 12px; }
.label.paused, .label.tombstoned { background: var(--warn-bg); color: var(--warn-fg); }
.alert { padding: .6em .9em; border-radius: 4px; margin: .5em 0 1em; white-space: pre-wrap; }
.alert.warning { background: var(--warn-bg); color: var(--warn-fg); }
.alert.error { background: var(--err-bg); color: var(--err-fg); }
.notice, .hint { color: var(--muted); }
.actions { margin: .5em 0 1em; }
button { font: inherit; padding: .25em .8em; border: 1px solid var(--line); border-radius: 4px; background: var(--bg); color: var(--fg); cursor: pointer; }
button.danger { border-color: var(--err-fg); color: var(--err-fg); }
button:disabled { opacity: .5; cursor: default; }
dialog { border: 1px solid var(--line); border-radius: 6px; background: var(--bg); color: var(--fg); }
dialog menu { display: flex; gap: .5em; justify-content: flex-end; padding: 0; }
.counter { text-align: center; margin-top: 3em; }
#counter { font-size: 72px; font-weight: 700; font-variant-numeric: tabular-nums; }
.counter .caption { color: var(--muted); font-size: 18px; }
input { font: inherit; padding: .25em .5em; }
svg.spark { vertical-align: middle; color: var(--accent); }
td.rate { color: var(--accent); }
`

export const ADMIN_JS = `// nsqkit admin: the pages' actions, filter and counter (served as-is, an ES module)
const base = document.body.dataset.base || ''
const errorBox = document.getElementById('action-error')
const dialog = document.getElementById('confirm')

function showError(text) {
  errorBox.textContent = text
  errorBox.hidden = false
}

/** Ask in the dialog; resolves true on OK. A name to type keeps OK disabled until it matches. */
function ask(question, typeToConfirm) {
  return new Promise((resolve) => {
    dialog.querySelector('.question').textContent = question
    const typed = dialog.querySelector('.typed')
    const input = dialog.querySelector('input[name=typed]')
    const ok = dialog.querySelector('button[value=ok]')
    typed.hidden = !typeToConfirm
    input.value = ''
    dialog.querySelector('.name').textContent = typeToConfirm || ''
    ok.disabled = Boolean(typeToConfirm)
    input.oninput = () => { ok.disabled = input.value !== typeToConfirm }
    dialog.onclose = () => resolve(dialog.returnValue === 'ok')
    dialog.returnValue = ''
    dialog.showModal()
    if (typeToConfirm) input.focus()
  })
}

async function send(method, url, body) {
  let res
  try {
    res = await fetch(url, {method, headers: {'content-type': 'application/json', accept: 'application/vnd.nsq; version=1.0'}, body: body === undefined ? undefined : body})
  } catch (err) {
    showError('ERROR: failed to connect to nsqadmin')
    return false
  }
  let msg = ''
  try { msg = (await res.json()).message || '' } catch { msg = 'ERROR: failed to decode JSON' }
  if (res.status !== 200 || msg !== '') { showError(msg || ('HTTP ' + res.status)); return res.status === 200 }
  return true
}

// one listener for every action button, those of tables replaced by the live refresh too
document.addEventListener('click', async (e) => {
  const b = e.target instanceof Element ? e.target.closest('button.action') : null
  if (!b) return
  const d = b.dataset
  if (!(await ask(d.confirm, d.typeToConfirm))) return
  const done = await send(d.method, d.url, d.body)
  if (!done) return
  if (errorBox.hidden) { if (d.then) location.assign(d.then); else location.reload() }
})

const filter = document.getElementById('filter')
if (filter) {
  filter.addEventListener('input', () => {
    const q = filter.value.trim().toLowerCase()
    for (const tr of document.querySelectorAll('#topics tbody tr')) tr.hidden = q !== '' && !tr.dataset.topic.toLowerCase().includes(q)
  })
}

const create = document.getElementById('create')
if (create) {
  create.addEventListener('submit', async (e) => {
    e.preventDefault()
    const topic = create.elements.topic.value.trim()
    const channel = create.elements.channel.value.trim()
    const body = JSON.stringify(channel === '' ? {topic} : {topic, channel})
    if (await send('POST', create.dataset.url, body) && errorBox.hidden) location.reload()
  })
}

const tailStart = document.getElementById('tail-start')
if (tailStart) {
  const pauseB = document.getElementById('tail-pause')
  const stopB = document.getElementById('tail-stop')
  const status = document.getElementById('tail-status')
  const rows = document.querySelector('#tail tbody')
  let source = null
  let paused = false
  let seen = 0
  const say = () => { status.textContent = (source ? (paused ? 'paused' : 'tailing') : 'stopped') + ' · ' + seen + ' new messages' }
  tailStart.addEventListener('click', () => {
    if (source) return
    source = new EventSource(tailStart.dataset.url)
    paused = false
    // a refused or ended stream is not retried: its message shows, and the tail stops
    const end = (text) => { if (!source) return; showError(text); stopB.click() }
    source.addEventListener('failed', (e) => end(JSON.parse(e.data).message))
    source.onerror = () => end('the live tail stopped: the stream ended or was refused')
    source.onmessage = (e) => {
      seen++
      if (!paused) {
        const m = JSON.parse(e.data)
        const tr = document.createElement('tr')
        for (const v of [new Date().toLocaleTimeString(), m.id, m.attempts, m.encoding === 'base64' ? '(base64) ' + m.body : m.body]) {
          const td = document.createElement('td')
          td.textContent = String(v)
          tr.append(td)
        }
        rows.prepend(tr)
        while (rows.children.length > 200) rows.lastElementChild.remove()
      }
      say()
    }
    tailStart.disabled = true
    pauseB.disabled = false
    stopB.disabled = false
    say()
  })
  pauseB.addEventListener('click', () => { paused = !paused; pauseB.textContent = paused ? 'Resume' : 'Pause'; say() })
  stopB.addEventListener('click', () => {
    if (source) source.close()
    source = null
    tailStart.disabled = false
    pauseB.disabled = true
    stopB.disabled = true
    say()
  })
}

const publishForm = document.getElementById('publish')
if (publishForm) {
  publishForm.addEventListener('submit', async (e) => {
    e.preventDefault()
    const f = publishForm.elements
    const body = JSON.stringify({node: f.node.value, body: f.body.value, split_lines: f.split_lines.checked})
    const res = await fetch(publishForm.dataset.url, {method: 'POST', headers: {'content-type': 'application/json'}, body})
    const r = await res.json().catch(() => ({message: 'ERROR: failed to decode JSON'}))
    if (res.status === 200) { document.getElementById('publish-status').textContent = 'published ' + r.published; f.body.value = '' }
    else showError(r.message || ('HTTP ' + res.status))
  })
}

// live: the tables again every 5 s, in place
const LIVE = ['topics', 'topic-nodes', 'channels', 'channel-nodes', 'clients', 'nodes', 'node-topics', 'topic-rate']
if (LIVE.some((id) => document.getElementById(id))) {
  setInterval(async () => {
    if (document.hidden || dialog.open) return
    try {
      const res = await fetch(location.href)
      if (res.status !== 200) return
      const next = new DOMParser().parseFromString(await res.text(), 'text/html')
      for (const id of LIVE) {
        const now = document.getElementById(id)
        const fresh = next.getElementById(id)
        if (now && fresh) now.replaceWith(fresh)
      }
      // the banners (what did not answer, the nodes gone) as the page now has them
      for (const w of document.querySelectorAll('main > .alert.warning')) w.remove()
      document.querySelector('main').prepend(...next.querySelectorAll('main > .alert.warning'))
      if (filter) filter.dispatchEvent(new Event('input'))
    } catch { /* the next round tries again */ }
  }, 5000)
}

const counter = document.getElementById('counter')
if (counter) {
  setInterval(async () => {
    try {
      const r = await (await fetch(base + '/api/counter')).json()
      const total = Object.values(r.stats || {}).reduce((s, x) => s + x.message_count, 0)
      counter.dataset.total = String(total)
      counter.textContent = total.toLocaleString('en-US')
    } catch { /* the next poll tries again */ }
  }, 1000)
}
`

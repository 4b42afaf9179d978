// Two express processes with the same store behind a round-robin: requests
// alternate between them with one cookie, and the counter never loses a step.
// And an express app in this process given the cookie of a session that
// another client rotated: it keeps that cookie and saves nothing.

import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { once } from 'node:events'
import path from 'node:path'
import { after, before, describe, test } from 'node:test'
import { fileURLToPath } from 'node:url'

import express from 'express'
import session from 'express-session'

import { ScopestoreStore } from 'connect-scopestore'
import { freePort, skip, startScopestore } from './testserver.js'

const example = path.join(path.dirname(fileURLToPath(import.meta.url)), 'example', 'app.js')

// startExample runs example/app.js and returns its address once it listens.
async function startExample(server) {
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort()
    const proc = spawn(process.execPath, [example], {
      env: { ...process.env, PORT: String(port), SCOPESTORE_URL: server.url, SCOPESTORE_KEY: server.key },
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    const up = await Promise.race([
      once(proc.stdout, 'data').then(() => true),
      once(proc, 'exit').then(() => false), // the port was taken in between
    ])
    if (up) return { url: `http://127.0.0.1:${port}/`, proc }
  }
  throw new Error('example/app.js did not start')
}

describe('express behind a round-robin', { skip }, () => {
  let server
  const apps = []
  before(async () => {
    server = await startScopestore()
    apps.push(await startExample(server), await startExample(server))
  })
  after(async () => {
    for (const { proc } of apps) {
      proc.kill('SIGTERM')
      if (proc.exitCode === null) await once(proc, 'exit')
    }
    await server?.stop()
  })

  test('the counter carries over between two processes', async () => {
    const requests = 20
    let cookie = ''
    const pids = new Set()
    let last
    for (let i = 0; i < requests; i++) {
      const res = await fetch(apps[i % 2].url, { headers: cookie ? { cookie } : {} })
      assert.equal(res.status, 200)
      cookie = res.headers.get('set-cookie')?.split(';')[0] ?? cookie
      last = await res.json()
      assert.equal(last.n, i + 1)
      pids.add(last.pid)
    }
    assert.equal(last.n, requests)
    assert.equal(pids.size, 2)
  })
})

describe('express: a request with the cookie of a session another client rotated', { skip }, () => {
  let server, listener, url
  before(async () => {
    server = await startScopestore()
    const app = express()
    app.use(
      session({
        store: new ScopestoreStore(server),
        secret: 'test secret',
        resave: false,
        saveUninitialized: false,
        genid: () => randomUUID(),
        // A cookie with an expiry: express-session sends it again whenever the session changes.
        cookie: { maxAge: 3_600_000 },
      }),
    )
    app.get('/', (req, res) => {
      req.session.n = (req.session.n ?? 0) + 1
      res.json({ id: req.sessionID, n: req.session.n, user: req.session.user ?? null })
    })
    for (let attempt = 0; ; attempt++) {
      const port = await freePort()
      try {
        listener = await new Promise((resolve, reject) => {
          const srv = app.listen(port, '127.0.0.1', () => resolve(srv)).once('error', reject)
        })
        url = `http://127.0.0.1:${port}/`
        break
      } catch (err) {
        if (attempt >= 4) throw err // the port was taken in between
      }
    }
  })
  after(async () => {
    listener?.closeAllConnections()
    await new Promise((resolve) => (listener ? listener.close(resolve) : resolve()))
    await server?.stop()
  })

  // api calls the runtime API directly, as another client (Go, PHP) does.
  async function api(method, path, body) {
    const res = await fetch(`${server.url}/api/v1/apps/shop${path}`, {
      method,
      headers: { authorization: `Bearer ${server.key}` },
      body: body && JSON.stringify(body),
    })
    return { status: res.status, body: res.status === 204 ? null : await res.json() }
  }

  // cookieIds are the session ids of the response's Set-Cookie headers (express-session signs them: s:<id>.<mac>).
  const cookieIds = (res) =>
    res.headers.getSetCookie().map((c) => decodeURIComponent(c.split(';')[0]).match(/^connect\.sid=s:([^.]+)\./)?.[1])

  test('it gets no cookie of the new cfid, and its changes are not saved', async () => {
    // The session X, as an attacker would obtain it and plant its cookie in a victim's browser.
    const first = await fetch(url)
    const cookie = first.headers.getSetCookie()[0].split(';')[0]
    const { id: old, n } = await first.json()
    assert.equal(n, 1)
    assert.deepEqual(cookieIds(first), [old])

    // The victim logs in through another client: X is rotated to Y, which holds the login.
    const rotated = await api('POST', `/sessions/${old}/rotate`)
    assert.equal(rotated.status, 201)
    const moved = rotated.body.cfid
    assert.equal((await api('PATCH', `/sessions/${moved}`, { set: { user: 'ann' } })).status, 200)

    // Within the grace, a request with X's cookie: it sees Y's data but keeps X,
    // and nothing it changed is saved.
    const got = []
    const onWarning = (w) => w.name === 'ScopestoreWarning' && got.push(w.message)
    process.on('warning', onWarning)
    try {
      const res = await fetch(url, { headers: { cookie } })
      assert.equal(res.status, 200)
      const ids = cookieIds(res)
      assert.ok(!ids.includes(moved), `no Set-Cookie of the new cfid (got ${JSON.stringify(res.headers.getSetCookie())})`)
      assert.deepEqual(ids.filter((id) => id !== old), [], 'a Set-Cookie, if any, names the old id')
      const body = await res.json()
      assert.deepEqual(body, { id: old, n: 2, user: 'ann' }, 'the session where it lives now, under the old id')
      await new Promise((resolve) => setImmediate(resolve))
    } finally {
      process.off('warning', onWarning)
    }
    assert.equal(got.length, 1, 'one warning')
    assert.match(got[0], /read-only: its changes are not saved \(session fixation defence\)/)

    const now = await api('GET', `/sessions/${moved}`)
    assert.equal(now.body.data.n, 1, "the new session's data is unchanged")
    assert.equal(now.body.data.user, 'ann')
    const before = await api('GET', `/sessions/${old}`)
    assert.equal(before.body.data.n, 1, 'nothing written to the old cfid')
    assert.equal(before.body.rotatedTo, moved)
  })
})

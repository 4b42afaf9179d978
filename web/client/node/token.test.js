// A client scope in cookie storage (the app's clientStorage cookie, the
// store's scope 'clients'): scopestore keeps nothing, and the session lives
// in the sealed token that withScopeToken carries in the CFCLIENTTOKEN
// cookie, sent to scopestore as Scope-Token and replaced by every answer.

import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { once } from 'node:events'
import { after, before, describe, test } from 'node:test'

import express from 'express'
import session from 'express-session'

import { ScopestoreStore } from 'connect-scopestore'
import { freePort, skip, startScopestore } from './testserver.js'

// A browser's cookie jar, enough for these tests: name → value, Max-Age=0 deletes.
class Jar {
  cookies = new Map()
  take(res) {
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(';')
      const i = pair.indexOf('=')
      const name = pair.slice(0, i).trim()
      if (attrs.some((a) => a.trim().toLowerCase() === 'max-age=0')) this.cookies.delete(name)
      else this.cookies.set(name, pair.slice(i + 1).trim())
    }
  }
  header() {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ')
  }
}

describe('client scope in cookie storage', { skip }, () => {
  let server, store, base, web
  before(async () => {
    server = await startScopestore()
    server.admin('app', 'settings', 'shop', '--client-storage', 'cookie')
    store = new ScopestoreStore({ ...server, scope: 'clients' })
    const app = express()
    app.use(
      store.withScopeToken(
        session({ store, secret: 's', resave: false, saveUninitialized: false, genid: () => randomUUID() }),
      ),
    )
    app.get('/', (req, res) => {
      req.session.n = (req.session.n ?? 0) + 1
      res.json({ n: req.session.n })
    })
    app.get('/read', (req, res) => res.json({ n: req.session.n ?? null }))
    app.get('/big', (req, res) => {
      req.session.big = 'x'.repeat(5000)
      res.json({ ok: true })
    })
    app.get('/logout', (req, res, next) => req.session.destroy((err) => (err ? next(err) : res.json({ out: true }))))
    app.get('/stream', (req, res) => {
      res.write('a')
      req.session.late = true
      res.end('b')
    })
    const port = await freePort()
    web = app.listen(port, '127.0.0.1')
    await once(web, 'listening')
    base = `http://127.0.0.1:${port}`
  })
  after(async () => {
    web?.close()
    await server?.stop()
  })

  async function get(jar, path = '/') {
    const res = await fetch(base + path, { headers: { cookie: jar.header() } })
    jar.take(res)
    return res
  }

  test('the count lives in the token cookie, which every answer replaces', async () => {
    const jar = new Jar()
    const tokens = []
    for (let n = 1; n <= 4; n++) {
      const res = await get(jar)
      assert.equal(res.status, 200)
      assert.deepEqual(await res.json(), { n })
      const line = res.headers.getSetCookie().find((c) => c.startsWith('CFCLIENTTOKEN='))
      assert.ok(line, `request ${n} sets CFCLIENTTOKEN`)
      assert.match(line, /; Path=\/; HttpOnly; SameSite=Lax; Expires=/)
      tokens.push(jar.cookies.get('CFCLIENTTOKEN'))
    }
    assert.equal(new Set(tokens).size, 4)
    // A read is a visit too: a new token, the same data.
    const read = await get(jar, '/read')
    assert.deepEqual(await read.json(), { n: 4 })
    assert.notEqual(jar.cookies.get('CFCLIENTTOKEN'), tokens[3])

    // Without its token the session is not found: express-session starts a new one.
    const lost = new Jar()
    lost.cookies.set('connect.sid', jar.cookies.get('connect.sid'))
    assert.deepEqual(await (await get(lost)).json(), { n: 1 })
  })

  test('a session past the token limit (4096 bytes) is refused: 413, answered 500, the old token kept', async () => {
    const jar = new Jar()
    await get(jar)
    const before = jar.cookies.get('CFCLIENTTOKEN')
    const res = await get(jar, '/big')
    assert.equal(res.status, 500)
    assert.match(await res.text(), /could not be saved/)
    assert.equal(jar.cookies.get('CFCLIENTTOKEN'), before)
    assert.deepEqual(await (await get(jar, '/read')).json(), { n: 1 })
  })

  test('the store alone reports the 413 as too_large', async () => {
    await assert.rejects(store.set(randomUUID(), { big: 'x'.repeat(5000), cookie: {} }), {
      status: 413,
      code: 'too_large',
    })
  })

  test('destroy deletes the token cookie', async () => {
    const jar = new Jar()
    await get(jar)
    assert.ok(jar.cookies.has('CFCLIENTTOKEN'))
    const res = await get(jar, '/logout')
    assert.deepEqual(await res.json(), { out: true })
    assert.ok(!jar.cookies.has('CFCLIENTTOKEN'))
  })

  test('without withScopeToken a save is an error, never a session lost in silence', async () => {
    await assert.rejects(store.set(randomUUID(), { n: 1, cookie: {} }), (err) => {
      assert.equal(err.code, 'no_token_cookie')
      assert.match(err.message, /withScopeToken/)
      return true
    })
  })

  test('a change after the response started cannot reach the browser: a warning, the old state kept', async () => {
    const jar = new Jar()
    await get(jar)
    const warned = once(process, 'warning')
    const res = await get(jar, '/stream')
    assert.equal(await res.text(), 'ab')
    const [warning] = await warned
    assert.equal(warning.name, 'ScopestoreWarning')
    assert.match(warning.message, /could not reach the browser/)
    assert.deepEqual(await (await get(jar, '/read')).json(), { n: 1 })
  })
})

describe('withScopeToken with another storage', { skip }, () => {
  let server, base, web
  before(async () => {
    server = await startScopestore()
    const store = new ScopestoreStore({ ...server, scope: 'clients' })
    const app = express()
    app.use(
      store.withScopeToken(
        session({ store, secret: 's', resave: false, saveUninitialized: false, genid: () => randomUUID() }),
      ),
    )
    app.get('/', (req, res) => {
      req.session.n = (req.session.n ?? 0) + 1
      res.json({ n: req.session.n })
    })
    const port = await freePort()
    web = app.listen(port, '127.0.0.1')
    await once(web, 'listening')
    base = `http://127.0.0.1:${port}`
  })
  after(async () => {
    web?.close()
    await server?.stop()
  })

  test('sets no token cookie and counts as without it', async () => {
    const jar = new Jar()
    for (let n = 1; n <= 3; n++) {
      const res = await fetch(base, { headers: { cookie: jar.header() } })
      jar.take(res)
      assert.deepEqual(await res.json(), { n })
    }
    assert.deepEqual([...jar.cookies.keys()], ['connect.sid'])
  })
})

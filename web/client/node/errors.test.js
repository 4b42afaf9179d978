// Failures reach the callback as errors, never as "no session": scopestore
// down, storage unavailable (503), a wrong key, no answer in time.

import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { once } from 'node:events'
import http from 'node:http'
import { after, before, describe, test } from 'node:test'

import express from 'express'
import session from 'express-session'

import { ScopestoreError, ScopestoreStore } from 'connect-scopestore'
import { freePort, skip, startScopestore } from './testserver.js'

// getByCallback calls get the way express-session does.
function getByCallback(store, id) {
  return new Promise((resolve) => store.get(id, (err, sess) => resolve({ err, sess })))
}

describe('without a server', () => {
  test('503 from scopestore is an error with its code and Retry-After, not a missing session', async () => {
    const unavailable = async () =>
      new Response(JSON.stringify({ error: { code: 'unavailable', message: 'storage redis1 did not answer' } }), {
        status: 503,
        headers: { 'content-type': 'application/json', 'retry-after': '5' },
      })
    const store = new ScopestoreStore({ url: 'http://127.0.0.1:18199', app: 'shop', key: 'k', fetch: unavailable })
    const { err, sess } = await getByCallback(store, randomUUID())
    assert.ok(err instanceof ScopestoreError)
    assert.equal(err.status, 503)
    assert.equal(err.code, 'unavailable')
    assert.equal(err.retryAfter, 5)
    assert.match(err.message, /^scopestore: get: 503 unavailable: storage redis1 did not answer$/)
    assert.equal(sess, undefined)
    for (const call of [
      () => store.set(randomUUID(), { cookie: {} }),
      () => store.touch(randomUUID(), {}),
      () => store.destroy(randomUUID()),
      () => store.all(),
      () => store.ids(),
      () => store.length(),
      () => store.clear(),
    ]) {
      await assert.rejects(call(), { code: 'unavailable' })
    }
  })

  test('no answer within timeout is an error', async () => {
    // A fetch that answers nothing; the interval stands for its open socket,
    // which keeps the process alive (AbortSignal.timeout does not).
    const hang = (url, init) =>
      new Promise((resolve, reject) => {
        const socket = setInterval(() => {}, 1000)
        init.signal.addEventListener('abort', () => {
          clearInterval(socket)
          reject(init.signal.reason)
        })
      })
    const store = new ScopestoreStore({ url: 'http://127.0.0.1:18199', app: 'shop', key: 'k', fetch: hang, timeout: 50 })
    const { err, sess } = await getByCallback(store, randomUUID())
    assert.equal(err?.code, 'timeout')
    assert.equal(sess, undefined)
  })

  // serve runs an HTTP server on a free loopback port with handler, for
  // the store's own transport (node:http, no fetch given).
  async function serve(handler) {
    const srv = http.createServer(handler)
    srv.listen(0, '127.0.0.1')
    await once(srv, 'listening')
    return {
      url: `http://127.0.0.1:${srv.address().port}`,
      close: () => {
        srv.closeAllConnections()
        srv.close()
      },
    }
  }

  test('node:http: 503 is an error with its code and Retry-After; a 2xx that is not JSON is bad_answer', async () => {
    let answer = 503
    const srv = await serve((req, res) => {
      if (answer === 503) {
        res.writeHead(503, { 'content-type': 'application/json', 'retry-after': '7' })
        res.end(JSON.stringify({ error: { code: 'unavailable', message: 'storage redis1 did not answer' } }))
      } else {
        res.writeHead(200, { 'content-type': 'text/html' }).end('<html>proxy</html>')
      }
    })
    try {
      const store = new ScopestoreStore({ url: srv.url, app: 'shop', key: 'k' })
      const { err, sess } = await getByCallback(store, randomUUID())
      assert.ok(err instanceof ScopestoreError)
      assert.equal(err.status, 503)
      assert.equal(err.code, 'unavailable')
      assert.equal(err.retryAfter, 7)
      assert.match(err.message, /^scopestore: get: 503 unavailable: storage redis1 did not answer$/)
      assert.equal(sess, undefined)
      await assert.rejects(store.set(randomUUID(), { cookie: {} }), { status: 503, code: 'unavailable', retryAfter: 7 })
      answer = 200
      await assert.rejects(store.get(randomUUID()), { status: 200, code: 'bad_answer' })
      await assert.rejects(store.set(randomUUID(), { cookie: {} }), { status: 200, code: 'bad_answer' })
    } finally {
      srv.close()
    }
  })

  test('node:http: no answer within timeout is an error, and nothing keeps the process alive', async () => {
    const srv = await serve(() => {}) // never answers
    try {
      const store = new ScopestoreStore({ url: srv.url, app: 'shop', key: 'k', timeout: 50 })
      const started = Date.now()
      const { err, sess } = await getByCallback(store, randomUUID())
      assert.equal(err?.code, 'timeout')
      assert.equal(err?.status, 0)
      assert.match(err.message, /^scopestore: get: no answer within 50 ms$/)
      assert.equal(sess, undefined)
      assert.ok(Date.now() - started < 2000)
    } finally {
      srv.close()
    }
  })

  test('node:http: a kept-alive connection closed by scopestore is replaced, the call sent once more', async () => {
    let requests = 0
    const srv = await serve((req, res) => {
      requests++
      // The second request arrives on the first one's connection: close it
      // unanswered, as a server does with a connection idle for too long.
      if (requests === 2) return req.socket.destroy()
      res.writeHead(404, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ error: { code: 'not_found', message: 'no such session' } }))
    })
    try {
      const store = new ScopestoreStore({ url: srv.url, app: 'shop', key: 'k' })
      assert.equal(await store.get(randomUUID()), null)
      assert.equal(await store.get(randomUUID()), null)
      assert.equal(requests, 3)
    } finally {
      srv.close()
    }
  })

  test('node:http: scopestore not listening is unreachable', async () => {
    const srv = await serve(() => {})
    srv.close()
    const store = new ScopestoreStore({ url: srv.url, app: 'shop', key: 'k' })
    await assert.rejects(store.get(randomUUID()), (err) => {
      assert.equal(err.name, 'ScopestoreError')
      assert.equal(err.code, 'unreachable')
      assert.equal(err.status, 0)
      assert.equal(err.message, `scopestore: get: cannot reach ${srv.url}: ECONNREFUSED`)
      return true
    })
  })

  test('url, app and key are required', () => {
    assert.throws(() => new ScopestoreStore({ url: 'http://127.0.0.1:18199', app: 'shop' }), /url, app and key are required/)
    assert.throws(() => new ScopestoreStore({ url: 'http://x', app: 'a', key: 'k', scope: 'cookies' }), /scope must be/)
    assert.throws(() => new ScopestoreStore({ url: 'localhost:8080', app: 'a', key: 'k' }), /must be http:\/\/ or https:\/\//)
    assert.throws(() => new ScopestoreStore({ url: '127.0.0.1:8080', app: 'a', key: 'k' }), /is not a URL/)
  })
})

describe('with a real scopestore', { skip }, () => {
  let server
  before(async () => {
    server = await startScopestore()
  })
  after(() => server?.stop())

  test('a wrong key is an error', async () => {
    const store = new ScopestoreStore({ ...server, key: 'ssk_wrong' })
    const { err } = await getByCallback(store, randomUUID())
    assert.equal(err?.status, 401)
    assert.equal(err?.code, 'unauthorized')
  })

  test('scopestore down: errors in the callback, and express answers 500 instead of a fresh session', async () => {
    const store = new ScopestoreStore(server)
    const app = express()
    app.use(
      session({ store, secret: 's', resave: false, saveUninitialized: false, genid: () => randomUUID() }),
    )
    app.get('/', (req, res) => {
      req.session.n = (req.session.n ?? 0) + 1
      res.json({ n: req.session.n })
    })
    app.use((err, req, res, next) => (res.headersSent ? next(err) : res.status(500).json({ error: err.code })))
    const port = await freePort()
    const web = app.listen(port, '127.0.0.1')
    await once(web, 'listening')
    try {
      const first = await fetch(`http://127.0.0.1:${port}/`)
      assert.deepEqual(await first.json(), { n: 1 })
      const cookie = first.headers.get('set-cookie').split(';')[0]
      const id = decodeURIComponent(cookie).match(/^connect\.sid=s:([^.]+)\./)[1]
      assert.ok((await store.get(id)) !== null)

      await server.stop()

      const { err, sess } = await getByCallback(store, id)
      assert.equal(err?.code, 'unreachable')
      assert.equal(sess, undefined)
      for (const call of [
        () => store.set(id, { cookie: {} }),
        () => store.touch(id, {}),
        () => store.destroy(id),
        () => store.all(),
        () => store.ids(),
        () => store.length(),
        () => store.clear(),
      ]) {
        await assert.rejects(call(), { name: 'ScopestoreError', code: 'unreachable' })
      }

      const down = await fetch(`http://127.0.0.1:${port}/`, { headers: { cookie } })
      assert.equal(down.status, 500)
      assert.deepEqual(await down.json(), { error: 'unreachable' })
      assert.equal(down.headers.get('set-cookie'), null, 'no new session handed out')
    } finally {
      web.close()
    }
  })
})

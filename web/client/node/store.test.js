// The store against a real scopestore: connect-redis's lifecycle test in our
// terms, then what is our own (UUID ids, PATCHes of changed keys, expiry).

import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { after, before, describe, test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'

import { ScopestoreStore } from 'connect-scopestore'
import { skip, startScopestore } from './testserver.js'

describe('ScopestoreStore', { skip }, () => {
  let server, store
  before(async () => {
    server = await startScopestore()
    store = new ScopestoreStore(server)
  })
  after(() => server?.stop())

  // api calls the runtime API directly, to see what the store left there.
  async function api(method, path, body) {
    const res = await fetch(`${server.url}/api/v1/apps/shop${path}`, {
      method,
      headers: { authorization: `Bearer ${server.key}` },
      body: body && JSON.stringify(body),
    })
    return { status: res.status, body: res.status === 204 ? null : await res.json() }
  }

  // recording is a store whose requests are recorded.
  function recording() {
    const calls = []
    const recorded = (url, init) => {
      calls.push({ method: init.method, path: new URL(url).pathname, body: init.body && JSON.parse(init.body), init })
      return fetch(url, init)
    }
    return { calls, store: new ScopestoreStore({ ...server, fetch: recorded }) }
  }

  test('lifecycle: set, get, touch, length, ids, all, destroy, clear', async () => {
    await store.clear()
    const [a, b] = [randomUUID(), randomUUID()].sort()

    const sess = { foo: 'bar', cookie: { originalMaxAge: null } }
    await store.set(a, sess)
    assert.deepEqual(await store.get(a), sess)

    const expires = new Date(Date.now() + 60_000)
    await store.set(b, { cookie: { originalMaxAge: null, expires } })
    await store.touch(b, { cookie: { originalMaxAge: null, expires: new Date(Date.now() + 90_000) } })

    assert.equal(await store.length(), 2)
    assert.deepEqual((await store.ids()).sort(), [a, b])
    const all = (await store.all()).sort((x, y) => (x.id > y.id ? 1 : -1))
    assert.deepEqual(all, [
      { id: a, foo: 'bar', cookie: { originalMaxAge: null } },
      { id: b, cookie: { originalMaxAge: null, expires: expires.toISOString() } },
    ])

    await store.destroy(b)
    assert.equal(await store.length(), 1)
    assert.equal(await store.get(b), null)

    await store.clear()
    assert.equal(await store.length(), 0)

    // More than one page of all and ids (500 each).
    const count = 1000
    await Promise.all(
      Array.from({ length: count }, () =>
        store.set(randomUUID(), { cookie: { originalMaxAge: 60_000, expires: new Date(Date.now() + 60_000) } }),
      ),
    )
    assert.equal(await store.length(), count)
    const ids = await store.ids()
    assert.equal(new Set(ids).size, count)
    assert.equal((await store.all()).length, count)
    await store.clear()
    assert.equal(await store.length(), 0)

    // A session whose cookie has expired is destroyed by set.
    const c = randomUUID()
    await store.set(c, { cookie: { originalMaxAge: null, expires: new Date(Date.now() + 90_000) } })
    assert.equal(await store.length(), 1)
    await store.set(c, { cookie: { originalMaxAge: null, expires: new Date(Date.now() - 90_000) } })
    assert.equal(await store.length(), 0)
  })

  test('callbacks: (err, value) and no promise', async () => {
    const id = randomUUID()
    const call = (fn, ...args) => new Promise((resolve) => assert.equal(fn.call(store, ...args, (...r) => resolve(r)), undefined))
    assert.deepEqual(await call(store.get, id), [null, null])
    assert.deepEqual(await call(store.set, id, { n: 1, cookie: {} }), [null, undefined])
    assert.deepEqual(await call(store.get, id), [null, { n: 1, cookie: {} }])
    assert.deepEqual(await call(store.touch, id, {}), [null, undefined])
    assert.deepEqual(await call(store.destroy, id), [null, undefined])
    assert.deepEqual(await call(store.destroy, id), [null, undefined], 'destroying an absent session is no error')
    assert.deepEqual(await call(store.touch, id, {}), [null, undefined], 'touching an absent session is no error')
  })

  test('ids must be UUIDs: set says to use genid, get finds nothing', async () => {
    await assert.rejects(store.set('oU9_a1cZ3xw-Lc8aVqL7GJyhUr4pRkzM', { cookie: {} }), (err) => {
      assert.equal(err.name, 'ScopestoreError')
      assert.equal(err.code, 'invalid_id')
      assert.match(err.message, /genid: \(\) => crypto\.randomUUID\(\)/)
      return true
    })
    await assert.rejects(store.set(randomUUID().toUpperCase(), { cookie: {} }), { code: 'invalid_id' })
    // A cookie from an earlier store is no session, and no error either.
    assert.equal(await store.get('oU9_a1cZ3xw-Lc8aVqL7GJyhUr4pRkzM'), null)
    await store.destroy('not-a-uuid')
  })

  test('the first set creates with If-None-Match: *, later ones PATCH the keys that changed', async () => {
    const { calls, store } = recording()
    const id = randomUUID()
    await store.set(id, { cookie: { originalMaxAge: null }, a: 1, b: [1, 2] })
    assert.equal(calls.at(-1).method, 'PUT')
    assert.equal(calls.at(-1).init.headers['if-none-match'], '*')

    const sess = await store.get(id)
    sess.a = 2
    delete sess.b
    sess.c = { d: true }
    await store.set(id, sess)
    assert.equal(calls.at(-1).method, 'PATCH')
    assert.deepEqual(calls.at(-1).body, { set: { a: 2, c: { d: true } }, unset: ['b'] })

    sess.c.d = false
    await store.set(id, sess)
    assert.deepEqual(calls.at(-1).body, { set: { c: { d: false } } }, 'diffed against what the last set wrote')

    const n = calls.length
    await store.set(id, sess)
    assert.equal(calls.length, n, 'nothing changed, nothing sent')
    assert.deepEqual(await store.get(id), { cookie: { originalMaxAge: null }, a: 2, c: { d: false } })
  })

  // rotate rotates a session as another client does at login (the Go and
  // PHP clients' Rotate): POST …/rotate, and the new cfid.
  async function rotate(cfid) {
    const rotated = await api('POST', `/sessions/${cfid}/rotate`)
    assert.equal(rotated.status, 201)
    assert.notEqual(rotated.body.cfid, cfid)
    return rotated.body.cfid
  }

  // warnings collects the ScopestoreWarnings emitted until stop() (which
  // waits for those emitted on the next tick) and returns their messages.
  function warnings() {
    const got = []
    const on = (w) => w.name === 'ScopestoreWarning' && got.push(w.message)
    process.on('warning', on)
    return {
      async stop() {
        await new Promise((resolve) => setImmediate(resolve))
        process.off('warning', on)
        return got
      },
    }
  }

  test('R3: a set of a session loaded before another client rotated it is sent again to the new cfid', async () => {
    // Was part of 'a session another client rotated: get follows it, and a
    // set loaded before the rotation lands in the new one', which also
    // asserted that get gives the request the new cfid (now R1/R2 below).
    const old = randomUUID()
    await store.set(old, { cookie: { originalMaxAge: null }, n: 1, cart: ['a'] })
    const loaded = await store.get(old) // a request in flight with the old id
    const moved = await rotate(old)

    // The request in flight changes its copy: the PATCH to the old cfid gets
    // 409 rotated and is sent to the new one; nothing goes to the old one.
    const warned = warnings()
    loaded.n = 2
    await store.set(old, loaded)
    const now = await api('GET', `/sessions/${moved}`)
    assert.equal(now.status, 200)
    assert.equal(now.body.data.n, 2, 'the change reached the new cfid')
    assert.deepEqual(now.body.data.cart, ['a'])
    const before = await api('GET', `/sessions/${old}`)
    assert.equal(before.body.data.n, 1, 'the old cfid keeps its data as it was')
    assert.equal(before.body.rotatedTo, moved)
    assert.deepEqual(await warned.stop(), [], 'nothing dropped')
  })

  test('R3: a touch of a session loaded before the rotation is sent again to the new cfid', async () => {
    const { calls, store } = recording()
    const old = randomUUID()
    await store.set(old, { cookie: { originalMaxAge: null }, n: 1 })
    const loaded = await store.get(old)
    const moved = await rotate(old)
    await store.touch(old, loaded) // was: ScopestoreError 409 rotated
    const touches = calls.filter((c) => c.method === 'POST').map((c) => c.path.split('/').slice(-2, -1)[0])
    assert.deepEqual(touches, [old, moved])
  })

  // rotatedLogin makes a session, rotates it as another client does at
  // login and writes the login to the new cfid: [old cfid, new cfid].
  async function rotatedLogin(store) {
    const old = randomUUID()
    await store.set(old, { cookie: { originalMaxAge: null }, n: 1 })
    const moved = await rotate(old)
    assert.equal((await api('PATCH', `/sessions/${moved}`, { set: { user: 'ann' } })).status, 200)
    return [old, moved]
  }

  test('R1: a request that came with the old cookie sees the new session but keeps its id', async () => {
    const [old, moved] = await rotatedLogin(store)
    // A request with the old cookie (perhaps an attacker's, who planted it)
    // sees the session where it lives now rather than an empty one...
    const seen = await store.get(old)
    assert.deepEqual(seen, { cookie: { originalMaxAge: null }, n: 1, user: 'ann' })
    // ...but express-session is not handed the new cfid: it keeps the id
    // that the request's cookie names, so it sends no cookie of the new one.
    const req = { sessionID: old }
    const given = store.createSession(req, seen) // as express-session does with what get returned
    assert.equal(req.sessionID, old, `the request keeps the old id (was: given the new one, ${moved})`)
    assert.equal(given.id, old)
  })

  test('R2: that request is read-only: its set and touch write nothing, with one warning', async () => {
    const { calls, store } = recording()
    const [old, moved] = await rotatedLogin(store)
    const req = { sessionID: old }
    const given = store.createSession(req, await store.get(old))

    // Its changes are written nowhere, and neither is its visit, without an
    // error: one warning says why.
    const warned = warnings()
    const sent = calls.length
    given.n = 2
    given.user = 'mallory'
    await store.set(old, given) // was: PATCH old → 409 rotated → PATCH new
    assert.equal((await api('GET', `/sessions/${moved}`)).body.data.user, 'ann', 'the set changed nothing in the new session')
    await store.touch(old, given) // was: 409 rotated, an error
    given.cookie.expires = new Date(Date.now() - 1000) // an expired cookie deletes nothing either
    await store.set(old, given)
    assert.deepEqual(calls.slice(sent), [], 'nothing sent')
    const messages = await warned.stop()
    assert.equal(messages.length, 1, 'one warning per request')
    assert.match(messages[0], /read-only: its changes are not saved \(session fixation defence\)/)

    const now = await api('GET', `/sessions/${moved}`)
    assert.deepEqual(now.body.data, { cookie: { originalMaxAge: null }, n: 1, user: 'ann' }, 'the new session is unchanged')
    const before = await api('GET', `/sessions/${old}`)
    assert.deepEqual(before.body.data, { cookie: { originalMaxAge: null }, n: 1 }, 'the old cfid too')
    assert.equal(before.body.rotatedTo, moved)

    // The data as get returned it is read-only as well (a store used without express-session).
    const plain = await store.get(old)
    plain.n = 3
    await store.set(old, plain)
    assert.equal((await api('GET', `/sessions/${moved}`)).body.data.n, 1)
  })

  test('R4: a set or touch not preceded by a load here that gets 409 rotated is dropped with a warning', async () => {
    const old = randomUUID()
    await store.set(old, { cookie: { originalMaxAge: null }, n: 1 })
    const moved = await rotate(old)

    // Another process of the app, which never loaded the session: a blind set and a touch.
    const other = new ScopestoreStore(server)
    const warned = warnings()
    await other.set(old, { cookie: { originalMaxAge: null }, n: 9 }) // was: ScopestoreError 409 rotated
    await other.touch(old, {}) // was: ScopestoreError 409 rotated
    const messages = await warned.stop()
    assert.equal(messages.length, 2, 'one per call: two session objects')
    for (const m of messages) assert.match(m, /without loading it first.*read-only.*session fixation defence/)

    assert.equal((await api('GET', `/sessions/${moved}`)).body.data.n, 1, 'the new session is unchanged')
    assert.equal((await api('GET', `/sessions/${old}`)).body.data.n, 1, 'the old cfid too')
  })

  test('a rotated session whose new cfid ended is no session', async () => {
    const old = randomUUID()
    await store.set(old, { cookie: { originalMaxAge: null }, n: 1 })
    const moved = await rotate(old)
    assert.equal((await api('DELETE', `/sessions/${moved}`)).status, 204) // logout in the other client
    assert.equal((await api('GET', `/sessions/${old}`)).status, 200, 'the old cfid still answers in the grace')
    assert.equal(await store.get(old), null, "not the old cfid's data (was: the old data, which a set revived)")
  })

  test('a 409 that is not a rotation is an error with its code, not followed', async () => {
    const id = randomUUID()
    await store.set(id, { cookie: { originalMaxAge: null }, n: 1 })
    let patches = 0
    // GETs reach scopestore; a PATCH is answered 409 conflict, as a proxy or a later API might.
    const conflicting = new ScopestoreStore({
      ...server,
      fetch: async (url, init) => {
        if (init.method !== 'PATCH') return fetch(url, init)
        patches++
        return new Response(JSON.stringify({ error: { code: 'conflict', message: 'not now' } }), {
          status: 409,
          headers: { 'content-type': 'application/json', location: `/api/v1/apps/shop/sessions/${randomUUID()}` },
        })
      },
    })
    const loaded = await conflicting.get(id)
    loaded.n = 2
    await assert.rejects(conflicting.set(id, loaded), (err) => {
      assert.equal(err.name, 'ScopestoreError')
      assert.equal(err.code, 'conflict')
      assert.match(err.message, /not now/)
      return true
    })
    assert.equal(patches, 1, 'sent once: only a rotation is followed')
  })

  test('disableTouch sends no touch: the load was a visit already', async () => {
    const calls = []
    const quiet = new ScopestoreStore({ ...server, disableTouch: true, fetch: (url, init) => (calls.push(init.method), fetch(url, init)) })
    await quiet.touch(randomUUID(), {})
    assert.deepEqual(calls, [])
  })

  test('two processes changing different keys of one session keep both changes', async () => {
    const [one, two] = [new ScopestoreStore(server), new ScopestoreStore(server)]
    const id = randomUUID()
    await one.set(id, { cookie: { originalMaxAge: null }, cart: [], lang: 'en' })
    const [s1, s2] = await Promise.all([one.get(id), two.get(id)])
    s1.cart = [7]
    s2.lang = 'de'
    await Promise.all([one.set(id, s1), two.set(id, s2)])
    assert.deepEqual(await one.get(id), { cookie: { originalMaxAge: null }, cart: [7], lang: 'de' })
  })

  test('set of a session ended since it was loaded stores it again', async () => {
    const id = randomUUID()
    await store.set(id, { cookie: {}, n: 1 })
    const sess = await store.get(id)
    await store.destroy(id)
    sess.n = 2
    await store.set(id, sess)
    assert.deepEqual(await store.get(id), { cookie: {}, n: 2 })
  })

  test('set of an existing id with a fresh object replaces its data', async () => {
    const id = randomUUID()
    await store.set(id, { cookie: {}, a: 1 })
    await store.set(id, { cookie: {}, b: 2 })
    assert.deepEqual(await store.get(id), { cookie: {}, b: 2 })
  })

  test('a scope written by another client gets a cookie for express-session', async () => {
    const { body } = await api('POST', '/sessions', { data: { user: 'ann' } })
    assert.deepEqual(await store.get(body.cfid), { user: 'ann', cookie: { originalMaxAge: null } })
  })

  test('scope: clients keeps them in the client scope', async () => {
    const clients = new ScopestoreStore({ ...server, scope: 'clients' })
    const id = randomUUID()
    await clients.set(id, { cookie: {}, theme: 'dark' })
    assert.equal((await api('GET', `/clients/${id}`)).body.data.theme, 'dark')
    assert.equal(await store.get(id), null)
  })

  test("expiry follows the app's sessionTimeout, not the cookie; touch extends it", async () => {
    assert.equal((await api('PUT', '/settings', { sessionTimeout: 3 })).status, 200)
    try {
      const id = randomUUID()
      // A cookie that lives for an hour does not keep the session longer.
      await store.set(id, { cookie: { originalMaxAge: 3_600_000, expires: new Date(Date.now() + 3_600_000) } })
      for (let i = 0; i < 4; i++) {
        await sleep(1000)
        await store.touch(id, {})
      }
      assert.notEqual(await store.get(id), null, 'touched every second: still there after 4 s')
      await sleep(4500)
      assert.equal(await store.get(id), null, 'gone 4.5 s after the last visit')
    } finally {
      await api('PUT', '/settings', { sessionTimeout: '30m' })
    }
  })
})

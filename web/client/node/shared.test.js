// The application scope, the server scope and named locks against a real
// scopestore: store.application, store.server, store.lock, and
// ScopestoreClient for apps without express-session.

import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { after, before, describe, test } from 'node:test'

import { ScopestoreClient, ScopestoreStore } from 'connect-scopestore'
import { skip, startScopestore } from './testserver.js'

describe('shared scopes and locks', { skip }, () => {
  let server, store
  before(async () => {
    server = await startScopestore()
    store = new ScopestoreStore(server)
  })
  after(() => server?.stop())

  test('the application scope: started empty, save and patch with ifVersion', async () => {
    const app = store.application
    const first = await app.get()
    assert.equal(first.version, 1)
    assert.equal(first.applicationname, 'shop')
    assert.deepEqual(first.data, {})
    assert.equal(first.cfid, undefined)

    const saved = await app.save({ flags: { newCheckout: true } }, { ifVersion: 1 })
    assert.equal(saved.version, 2)
    await assert.rejects(app.save({}, { ifVersion: 1 }), { status: 412, code: 'precondition_failed' })

    const patched = await app.patch({ set: { lang: 'de' }, incr: { orders: 2 } })
    assert.equal(patched.version, 3)
    assert.deepEqual(patched.data, { flags: { newCheckout: true }, lang: 'de', orders: 2 })
    await assert.rejects(app.patch({ unset: ['lang'] }, { ifVersion: 2 }), { code: 'precondition_failed' })
    assert.deepEqual((await app.patch({ unset: ['lang'] }, { ifVersion: 3 })).data, {
      flags: { newCheckout: true },
      orders: 2,
    })
  })

  test('the server scope: read by every app, written only when an administrator allows it', async () => {
    const blogKey = server.admin('app', 'create', 'blog').trim()
    const blog = new ScopestoreClient({ url: server.url, app: 'blog', key: blogKey })
    const got = await store.server.get()
    assert.equal(got.version, 1)
    assert.equal(got.applicationname, undefined)
    await assert.rejects(store.server.patch({ set: { motd: 'hi' } }), (err) => {
      assert.equal(err.name, 'ScopestoreError')
      assert.equal(err.status, 403)
      assert.equal(err.code, 'forbidden')
      assert.match(err.message, /^scopestore: patch of the server scope: 403 forbidden: .*server-scope-write/)
      return true
    })

    server.admin('app', 'settings', 'shop', '--server-scope-write', 'true')
    assert.equal((await store.server.save({ motd: 'hi' }, { ifVersion: 1 })).version, 2)
    const seen = await blog.server.get()
    assert.deepEqual(seen.data, { motd: 'hi' })
    await assert.rejects(blog.server.save({}), { status: 403 })
    // blog's application scope is its own.
    assert.deepEqual((await blog.application.get()).data, {})
  })

  test('the README example: lock, get, save n+1 with ifFence, unlock; from many requests at once', async () => {
    const client = new ScopestoreClient(server)
    async function increment() {
      const lock = await client.lock('counter', { timeout: 10_000, lease: 10_000 })
      try {
        const app = await client.application.get()
        await client.application.save({ ...app.data, n: (app.data.n ?? 0) + 1 }, { ifFence: lock.fence })
      } finally {
        await lock.release()
      }
    }
    const before = (await client.application.get()).data.n ?? 0
    await Promise.all(Array.from({ length: 10 }, increment))
    const after = await client.application.get()
    assert.equal(after.data.n, before + 10)
    assert.ok(after.fence > 0)
  })

  test('a write under the fence of a lock taken over since is refused', async () => {
    const first = await store.lock('fenced', { lease: 1000 })
    assert.equal(first.name, 'fenced')
    assert.equal(first.type, 'exclusive')
    assert.ok(first.token && first.fence > 0 && first.expires instanceof Date)
    await assert.rejects(store.lock('fenced', { timeout: 0 }), { status: 423, code: 'locked' })

    const expires = first.expires
    await first.renew(2000)
    assert.ok(first.expires > expires)
    await first.release()
    await assert.rejects(first.release(), { status: 409, code: 'conflict' })
    await assert.rejects(first.renew(), { status: 409 })

    const second = await store.lock('fenced')
    assert.ok(second.fence > first.fence)
    const written = await store.application.patch({ set: { by: 'second' } }, { ifFence: second.fence })
    assert.equal(written.fence, second.fence)
    await assert.rejects(store.application.save({ by: 'first' }, { ifFence: first.fence }), {
      status: 412,
      code: 'precondition_failed',
    })
    assert.equal((await store.application.get()).data.by, 'second')
    await second.release()

    const readers = await Promise.all([store.lock('r', { type: 'readonly' }), store.lock('r', { type: 'readonly' })])
    assert.deepEqual(readers.map((l) => l.type), ['readonly', 'readonly'])
    await Promise.all(readers.map((l) => l.release()))
  })

  test('lock names keep what a path escapes, as session:{cfid}; a slash is refused', async () => {
    for (const name of [`session:${randomUUID()}`, 'a b!c,d;e=f(g)%h@é*[x]']) {
      const lock = await store.lock(name, { timeout: 0 })
      assert.equal(lock.name, name)
      await assert.rejects(store.lock(name, { timeout: 0 }), { code: 'locked' })
      await lock.release()
    }
    await assert.rejects(store.lock('a/b'), TypeError)
  })
})

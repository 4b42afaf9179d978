// connect-scopestore: an express-session store that keeps each session as a
// scopestore session scope, through the runtime API (http.js).

import { EventEmitter } from 'node:events'
import { createRequire } from 'node:module'
import path from 'node:path'

import { Client, ScopestoreError } from './http.js'

export { ScopestoreError }

// express-session's Store when express-session is installed beside this
// package, or in the application's directory (this package linked with npm
// link or a file: dependency): it brings regenerate, load and createSession,
// which express-session calls on its store. A bare EventEmitter otherwise,
// for code that uses the store on its own.
const Store = loadStore()

function loadStore() {
  for (const from of [import.meta.url, path.join(process.cwd(), 'package.json')]) {
    try {
      return createRequire(from)('express-session').Store
    } catch (err) {
      if (err?.code !== 'MODULE_NOT_FOUND') throw err
    }
  }
  return EventEmitter
}

// A cfid as scopestore hands them out and express-session's ids must be.
const CFID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

// Scopes per page of all and ids (the API's largest).
const PAGE = 500

// How many rotations in a row get and set follow: a session rotated again
// while a request follows it is followed again, up to this.
const MAX_HOPS = 3

/** ScopestoreStore is an express-session store that keeps sessions in scopestore. */
export class ScopestoreStore extends Store {
  #http
  #disableTouch
  // The data a session had when this store loaded or saved it, as JSON text
  // per top-level key, keyed by the session object of that request. set sends
  // only what the request changed, so concurrent requests that change
  // different keys keep each other's changes. It lives as long as the object.
  #seen = new WeakMap()
  // The cfid a loaded session moved to when another client rotated it
  // (scopestore's POST …/rotate), keyed by its data: createSession gives the
  // request that id, so that its changes go there.
  #moved = new WeakMap()

  /** @param {import('./index.js').ScopestoreStoreOptions} opts */
  constructor(opts = {}) {
    super()
    this.#http = new Client(opts)
    this.#disableTouch = Boolean(opts.disableTouch)
  }

  /** get loads a session: its data, or null when there is none. */
  get(sid, cb) {
    return settle(this.#get(sid), cb)
  }

  /** set creates the session the first time and later sends the top-level keys that changed. */
  set(sid, sess, cb) {
    return settle(this.#set(sid, sess), cb)
  }

  /** touch extends the session's expiry without sending its data. */
  touch(sid, sess, cb) {
    return settle(this.#touch(sid), cb)
  }

  /** destroy ends the session; one that does not exist is already ended. */
  destroy(sid, cb) {
    return settle(this.#destroy(sid), cb)
  }

  /** all returns every live session of the app, each with its id. */
  all(cb) {
    return settle(this.#list('all', (s) => ({ ...s.data, id: s.cfid })), cb)
  }

  /** ids returns the ids of every live session of the app. */
  ids(cb) {
    return settle(this.#list('ids', (s) => s.cfid), cb)
  }

  /** length returns the number of live sessions of the app. */
  length(cb) {
    return settle(this.#length(), cb)
  }

  /** clear ends every session of the app. */
  clear(cb) {
    return settle(this.#clear(), cb)
  }

  // createSession is how express-session turns what get returned into the
  // request's Session, which copies the data: the snapshot moves with it.
  createSession(req, sess) {
    if (Store === EventEmitter) {
      throw new Error('connect-scopestore: express-session could not be loaded; install it beside connect-scopestore')
    }
    const moved = this.#moved.get(sess)
    if (moved) req.sessionID = moved
    const session = super.createSession(req, sess)
    const seen = this.#seen.get(sess)
    if (seen) this.#seen.set(session, seen)
    return session
  }

  async #get(sid) {
    // An id that is not a cfid (a cookie from an earlier store) names no
    // session here; asking would get a 400 and fail the request.
    if (!CFID.test(sid)) return null
    let cfid = sid
    let { status, body } = await this.#http.request('get', 'GET', `/${cfid}`, { allow: [404] })
    // The old cfid of a session another client rotated answers, for a
    // grace, with its data as it was and the new cfid: follow it, so that
    // this request sees and changes the session where it lives now.
    for (let hop = 0; status === 200 && CFID.test(body?.rotatedTo ?? '') && hop < MAX_HOPS; hop++) {
      const next = await this.#http.request('get', 'GET', `/${body.rotatedTo}`, { allow: [404] })
      if (next.status === 404) break // the new one ended already: keep the old one's answer
      cfid = body.rotatedTo
      ;({ status, body } = next)
    }
    if (status === 404) return null
    const sess = body.data ?? {}
    // A scope written by another client has no cookie; express-session needs one.
    sess.cookie ??= { originalMaxAge: null }
    this.#seen.set(sess, snapshot(sess))
    if (cfid !== sid) this.#moved.set(sess, cfid)
    return sess
  }

  async #set(sid, sess) {
    if (!CFID.test(sid)) {
      throw new ScopestoreError(
        'connect-scopestore: the session id is not a lowercase UUID; scopestore keys sessions by UUID, so give ' +
          "express-session the option genid: () => crypto.randomUUID() (its default ids are not UUIDs)",
        { code: 'invalid_id' },
      )
    }
    if (expired(sess)) return this.#destroy(sid)
    // The session as JSON, key by key: what is sent and what the next set
    // compares with, each key serialized once.
    const now = snapshot(sess)
    const seen = this.#seen.get(sess)
    if (!seen) {
      await this.#create(sid, now)
    } else {
      const patch = diff(seen, now)
      if (patch) {
        let cfid = sid
        for (let hop = 0; ; hop++) {
          const { status, body, location } = await this.#http.request('set', 'PATCH', `/${cfid}`, {
            json: patch,
            allow: hop < MAX_HOPS ? [404, 409] : [404],
            discard: true,
          })
          if (status === 409) {
            const moved = body?.error?.code === 'rotated' ? rotatedTo(location) : ''
            if (!moved) {
              const code = body?.error?.code ?? 'conflict'
              throw new ScopestoreError(`scopestore: set: 409 ${code}: ${body?.error?.message ?? ''}`, { status, code })
            }
            // Another client rotated the session since it was loaded: the
            // change goes to the cfid it moved to, as a later request's would.
            cfid = moved
            continue
          }
          // It ended since it was loaded: store it whole, as express-session expects of set.
          if (status === 404) await this.#create(cfid, now)
          break
        }
      }
    }
    this.#seen.set(sess, now)
  }

  async #create(sid, now) {
    const json = `{"data":${objectJSON(now)}}`
    const { status } = await this.#http.request('set', 'PUT', `/${sid}`, {
      json,
      headers: { 'if-none-match': '*' },
      allow: [412],
      discard: true,
    })
    // 412: it exists, but this session object was not loaded here (set called
    // twice with fresh objects, or a race with another process): replace it.
    if (status === 412) await this.#http.request('set', 'PUT', `/${sid}`, { json, discard: true })
  }

  async #touch(sid) {
    if (this.#disableTouch || !CFID.test(sid)) return
    await this.#http.request('touch', 'POST', `/${sid}/touch`, { allow: [404], discard: true })
  }

  async #destroy(sid) {
    if (!CFID.test(sid)) return
    await this.#http.request('destroy', 'DELETE', `/${sid}`, { allow: [404], discard: true })
  }

  async #list(op, pick) {
    const out = []
    let cursor = ''
    do {
      const query = new URLSearchParams({ limit: String(PAGE) })
      if (cursor) query.set('cursor', cursor)
      const { body } = await this.#http.request(op, 'GET', `?${query}`)
      for (const scope of body.scopes) out.push(pick(scope))
      cursor = body.next
    } while (cursor)
    return out
  }

  async #length() {
    const { body } = await this.#http.request('length', 'GET', '/count')
    return body.count
  }

  async #clear() {
    await this.#http.request('clear', 'DELETE', '?all=true', { discard: true })
  }
}

// settle hands the outcome to the callback when there is one, outside the
// promise so that a throwing callback is not reported as the store's error;
// without a callback the caller gets the promise.
function settle(promise, cb) {
  if (typeof cb !== 'function') return promise
  promise.then(
    (value) => process.nextTick(cb, null, value),
    (err) => process.nextTick(cb, err),
  )
}

// snapshot is the data as JSON text per top-level key, as JSON.stringify
// would write them (keys whose value it leaves out are left out).
function snapshot(data) {
  const out = new Map()
  for (const k of Object.keys(data)) {
    const json = JSON.stringify(data[k])
    if (json !== undefined) out.set(k, json)
  }
  return out
}

// objectJSON is the JSON object of a snapshot's keys and texts.
function objectJSON(snap) {
  let out = ''
  for (const [k, json] of snap) out += (out ? ',' : '') + JSON.stringify(k) + ':' + json
  return '{' + out + '}'
}

// diff is the PATCH (as JSON) that turns the seen data into now, or null when nothing changed.
function diff(seen, now) {
  let set = ''
  for (const [k, json] of now) {
    if (seen.get(k) !== json) set += (set ? ',' : '') + JSON.stringify(k) + ':' + json
  }
  const unset = []
  for (const k of seen.keys()) {
    if (!now.has(k)) unset.push(k)
  }
  if (!set && !unset.length) return null
  const parts = []
  if (set) parts.push(`"set":{${set}}`)
  if (unset.length) parts.push(`"unset":${JSON.stringify(unset)}`)
  return `{${parts.join(',')}}`
}

// rotatedTo is the cfid that a 409 rotated answer's Location names, or ''.
function rotatedTo(location) {
  const cfid = String(location ?? '').split('/').pop()
  return CFID.test(cfid) ? cfid : ''
}

function expired(sess) {
  const expires = sess?.cookie?.expires
  return expires != null && new Date(expires).getTime() <= Date.now()
}

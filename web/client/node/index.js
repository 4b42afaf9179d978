// connect-scopestore: an express-session store that keeps each session as a
// scopestore session scope, through the runtime API (http.js).

import { AsyncLocalStorage } from 'node:async_hooks'
import { EventEmitter } from 'node:events'
import { createRequire } from 'node:module'
import path from 'node:path'

import { Client, ScopestoreError } from './http.js'
import { ScopestoreClient } from './shared.js'

export { ScopestoreClient, ScopestoreError }

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

// How many rotations in a row get, set and touch follow: a session rotated
// again while a request follows it is followed again, up to this.
const MAX_HOPS = 3

// What a write dropped because of a rotation logs (a ScopestoreWarning).
const READ_ONLY =
  'a request that came with the cookie of a session rotated since is read-only: its changes are not saved ' +
  '(session fixation defence)'
const BLIND =
  'the session was rotated since, and this call was made without loading it first in this process, so it ' +
  'cannot be told from a request that came with the old cookie: it is read-only, its changes are not saved ' +
  '(session fixation defence)'

// What a sealed token (Scope-Token) is made of: base64url and its dots.
const TOKEN = /^[A-Za-z0-9._~-]+$/

/** ScopestoreStore is an express-session store that keeps sessions in scopestore. */
export class ScopestoreStore extends Store {
  #http
  #disableTouch
  // The data a session had when this store loaded or saved it, as JSON text
  // per top-level key, keyed by the session object of that request. set sends
  // only what the request changed, so concurrent requests that change
  // different keys keep each other's changes. It lives as long as the object.
  #seen = new WeakMap()
  // The sessions whose load found their cfid rotated by another client
  // (scopestore's POST …/rotate) and followed it to the new cfid: their data
  // as get returned it and the request's Session that createSession made of
  // it. Such a request came with the old cookie, which may be one an attacker
  // planted (session fixation): it sees the session where it lives now, but
  // keeps its id (express-session never sends it the new cookie) and is
  // read-only (set and touch write nothing).
  #rotated = new WeakSet()
  // The sessions a dropped write was logged for: one warning per request.
  #warned = new WeakSet()
  // The request a call of the store is made for, when express-session runs
  // inside withScopeToken: {req, res, token, visited}. It carries the sealed
  // token of a client scope in cookie storage between the request's cookie,
  // scopestore and the response's cookie.
  #requests = new AsyncLocalStorage()
  #tokenCookie
  #shared

  /** @param {import('./index.js').ScopestoreStoreOptions} opts */
  constructor(opts = {}) {
    super()
    this.#http = new Client(opts)
    this.#disableTouch = Boolean(opts.disableTouch)
    this.#tokenCookie = opts.tokenCookie ?? 'CFCLIENTTOKEN'
    if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(this.#tokenCookie)) {
      throw new TypeError(`connect-scopestore: tokenCookie ${JSON.stringify(this.#tokenCookie)} is not a cookie name`)
    }
    this.#shared = new ScopestoreClient(opts, this.#http)
    /** The app's application scope: get(), save(data, {ifVersion, ifFence}), patch({set, unset, incr}, {…}). */
    this.application = this.#shared.application
    /** The server scope: read by every app, written by the apps an administrator allowed. */
    this.server = this.#shared.server
  }

  /** lock takes the app's named lock (see ScopestoreClient.lock). */
  lock(name, opts) {
    return this.#shared.lock(name, opts)
  }

  /**
   * withScopeToken wraps express-session's middleware for a client scope in
   * cookie storage (the option scope 'clients', the app's clientStorage
   * cookie): scopestore keeps nothing of such a scope, so its sealed token
   * travels in a cookie of its own (tokenCookie, CFCLIENTTOKEN), sent to
   * scopestore with every call and replaced by every answer. A changed
   * session is saved when the response is ended, before its header goes
   * out, so that its new token reaches the browser; if that save fails, the
   * response is replaced by onSaveError's (default: 503 with Retry-After
   * when scopestore or its storage is unavailable, else 500). With another
   * storage no token is answered, and the wrapper changes only when a
   * changed session is saved.
   *
   * @param {Function} sessionMiddleware what session({store, …}) returns
   * @param {{onSaveError?: (err: ScopestoreError, req: any, res: any) => void}} [opts]
   */
  withScopeToken(sessionMiddleware, { onSaveError = defaultSaveError } = {}) {
    if (typeof sessionMiddleware !== 'function') {
      throw new TypeError('connect-scopestore: withScopeToken takes the middleware that session({store, …}) returns')
    }
    return (req, res, next) => {
      const token = readCookie(req.headers.cookie, this.#tokenCookie)
      const ctx = { req, res, token, visited: false }
      this.#requests.run(ctx, () =>
        sessionMiddleware(req, res, (err) => {
          if (!err) this.#saveBeforeEnd(ctx, onSaveError)
          next(err)
        }),
      )
    }
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
    return settle(this.#touch(sid, sess), cb)
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
  // request's Session, which copies the data: the snapshot, and the mark of
  // a load that followed a rotation, move with it. req.sessionID stays the
  // id the request came with, so that express-session neither sends a
  // cookie of the new cfid nor writes there.
  createSession(req, sess) {
    if (Store === EventEmitter) {
      throw new Error('connect-scopestore: express-session could not be loaded; install it beside connect-scopestore')
    }
    const session = super.createSession(req, sess)
    const seen = this.#seen.get(sess)
    if (seen) this.#seen.set(session, seen)
    if (this.#rotated.has(sess)) this.#rotated.add(session)
    return session
  }

  async #get(sid) {
    // An id that is not a cfid (a cookie from an earlier store) names no
    // session here; asking would get a 400 and fail the request.
    if (!CFID.test(sid)) return null
    let cfid = sid
    const ctx = this.#requests.getStore()
    let { status, body, token } = await this.#http.request('get', 'GET', `/${cfid}`, { allow: [404], token: ctx?.token })
    // The old cfid of a session another client rotated answers, for a
    // grace, with its data as it was and the new cfid: follow it, so that
    // this request sees the session where it lives now rather than an empty
    // one. It came with the old cookie, though, which may be an attacker's:
    // it stays on the old id and is read-only (#rotated).
    for (let hop = 0; status === 200 && CFID.test(body?.rotatedTo ?? '') && hop < MAX_HOPS; hop++) {
      const next = await this.#http.request('get', 'GET', `/${body.rotatedTo}`, { allow: [404] })
      // The session ended after it was rotated: no session, as for any
      // ended one (the old cfid's data must not revive it).
      if (next.status === 404) return null
      cfid = body.rotatedTo
      ;({ status, body } = next)
    }
    if (status === 404) return null
    if (token) this.#keepToken('get', token, body.expires, false)
    const sess = body.data ?? {}
    // A scope written by another client has no cookie; express-session needs one.
    sess.cookie ??= { originalMaxAge: null }
    this.#seen.set(sess, snapshot(sess))
    if (cfid !== sid) this.#rotated.add(sess)
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
    // Loaded through a rotation: nothing is written, not even a delete.
    if (this.#rotated.has(sess)) return this.#dropped('set', sess, READ_ONLY)
    if (expired(sess)) return this.#destroy(sid)
    // The session as JSON, key by key: what is sent and what the next set
    // compares with, each key serialized once.
    const now = snapshot(sess)
    const seen = this.#seen.get(sess)
    if (!seen) {
      // Not loaded here: a 409 rotated cannot show that this set began
      // before the rotation, so it is not followed.
      if (!(await this.#create(sid, now, true))) return this.#dropped('set', sess, BLIND)
    } else {
      const patch = diff(seen, now)
      if (patch) {
        let cfid = sid
        for (let hop = 0; ; hop++) {
          const { status, body, location, token } = await this.#http.request('set', 'PATCH', `/${cfid}`, {
            json: patch,
            allow: hop < MAX_HOPS ? [404, 409] : [404],
            discard: true,
            token: this.#requests.getStore()?.token,
          })
          if (status === 409) {
            const moved = body?.error?.code === 'rotated' ? rotatedTo(location) : ''
            if (!moved) throw conflict('set', status, body)
            // Another client rotated the session after this request loaded
            // it: the same visitor's request in flight, whose change goes to
            // the cfid the session moved to. Only such a request follows a
            // rotation on write.
            cfid = moved
            continue
          }
          // It ended since it was loaded: store it whole, as express-session expects of set.
          if (status === 404) await this.#create(cfid, now)
          else if (token) this.#keepToken('set', token, body?.expires, true)
          break
        }
      }
    }
    this.#seen.set(sess, now)
  }

  // create stores the session whole. blind says it was not loaded here: a
  // session rotated since then answers 409 rotated, and create returns false
  // having written nothing (any other 409 is an error).
  async #create(sid, now, blind = false) {
    const json = `{"data":${objectJSON(now)}}`
    let answer = await this.#http.request('set', 'PUT', `/${sid}`, {
      json,
      headers: { 'if-none-match': '*' },
      allow: [412],
      discard: true,
    })
    // 412: it exists, but this session object was not loaded here (set called
    // twice with fresh objects, or a race with another process): replace it.
    if (answer.status === 412) {
      answer = await this.#http.request('set', 'PUT', `/${sid}`, { json, allow: blind ? [409] : [], discard: true })
      if (answer.status === 409) {
        if (answer.body?.error?.code === 'rotated' && rotatedTo(answer.location)) return false
        throw conflict('set', answer.status, answer.body)
      }
    }
    if (answer.token) this.#keepToken('set', answer.token, answer.body?.expires, true)
    return true
  }

  async #touch(sid, sess) {
    // Loaded through a rotation: no visit is written either.
    if (this.#rotated.has(sess)) return this.#dropped('touch', sess, READ_ONLY)
    const ctx = this.#requests.getStore()
    // A request that loaded or saved the scope visited it already; with cookie
    // storage a touch's new token would come after the response went out.
    if (this.#disableTouch || !CFID.test(sid) || ctx?.visited) return
    let cfid = sid
    for (let hop = 0; ; hop++) {
      const { status, body, location, token } = await this.#http.request('touch', 'POST', `/${cfid}/touch`, {
        allow: hop < MAX_HOPS ? [404, 409] : [404],
        discard: true,
        token: ctx?.token,
      })
      if (status === 409) {
        const moved = body?.error?.code === 'rotated' ? rotatedTo(location) : ''
        if (!moved) throw conflict('touch', status, body)
        // Rotated since this request loaded it: the visit goes where the
        // session lives now, as a set's change does. A touch of a session
        // not loaded here cannot show it began before the rotation.
        if (!this.#seen.has(sess)) return this.#dropped('touch', sess, BLIND)
        cfid = moved
        continue
      }
      if (token) this.#keepToken('touch', token, undefined, false)
      return
    }
  }

  // dropped logs, once per session object (one request's), that a set or
  // touch of it wrote nothing because the session was rotated: why is
  // READ_ONLY or BLIND. The call itself succeeds.
  #dropped(op, sess, why) {
    if (sess !== null && typeof sess === 'object') {
      if (this.#warned.has(sess)) return
      this.#warned.add(sess)
    }
    process.emitWarning(`connect-scopestore: ${op}: ${why}`, 'ScopestoreWarning')
  }

  async #destroy(sid) {
    if (!CFID.test(sid)) return
    await this.#http.request('destroy', 'DELETE', `/${sid}`, { allow: [404], discard: true })
    // A client scope in cookie storage ends with its cookie.
    const ctx = this.#requests.getStore()
    if (ctx?.token) {
      ctx.token = undefined
      if (!ctx.res.headersSent) setCookie(ctx.res, this.#tokenCookie, '', { maxAge: 0, secure: secure(ctx.req) })
    }
  }

  // keepToken takes the sealed token an answer carried (a client scope in
  // cookie storage): the request's next calls send it, and its cookie goes
  // with the response. saved says the answer was a save, whose token must
  // reach the browser: without withScopeToken it cannot, which is an error;
  // after the response's header went out, the browser keeps the previous
  // state, which is worth a warning (a load's lost visit is not).
  #keepToken(op, token, expires, saved) {
    const ctx = this.#requests.getStore()
    if (!ctx) {
      if (!saved) return
      throw new ScopestoreError(
        `scopestore: ${op}: the app keeps its client scope in cookie storage, so the session lives in a cookie ` +
          'of its own: wrap express-session with store.withScopeToken(session({store, …}))',
        { code: 'no_token_cookie' },
      )
    }
    if (!TOKEN.test(token)) {
      throw new ScopestoreError(`scopestore: ${op}: the Scope-Token answered is not a sealed token`, { code: 'bad_answer' })
    }
    ctx.token = token
    ctx.visited = true
    if (ctx.res.headersSent) {
      if (saved) {
        process.emitWarning(
          'connect-scopestore: the session (a client scope in cookie storage) was saved after the response was ' +
            'sent, so its new token could not reach the browser, which keeps the previous state: change the ' +
            'session before res.write or res.writeHead, or await req.session.save() first',
          'ScopestoreWarning',
        )
      }
      return
    }
    setCookie(ctx.res, this.#tokenCookie, token, { expires, secure: secure(ctx.req) })
  }

  // saveBeforeEnd makes res.end save a changed session first, so that its
  // new token is in the response's cookie: express-session saves it only
  // after the header went out. express-session then finds it saved. If the
  // save fails, onSaveError answers instead of the handler.
  #saveBeforeEnd(ctx, onSaveError) {
    const { req, res } = ctx
    const end = res.end
    const store = this
    res.end = function endAfterSave(...args) {
      res.end = end
      const sess = req.session
      if (!sess || res.headersSent || !store.#changed(sess)) return end.apply(res, args)
      sess.save((err) => {
        if (!err || res.headersSent) return end.apply(res, args)
        for (const name of res.getHeaderNames()) res.removeHeader(name)
        onSaveError(err, req, res)
      })
      return res
    }
  }

  // changed says whether a session's data (its cookie left out, as
  // express-session leaves it out) differs from what this store loaded or
  // saved; a new session's, whether it holds anything (express-session's
  // saveUninitialized: false).
  #changed(sess) {
    const now = snapshot(sess)
    now.delete('cookie')
    const seen = this.#seen.get(sess)
    if (!seen) return now.size > 0
    const was = new Map(seen)
    was.delete('cookie')
    return diff(was, now) !== null
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

// conflict is the error of a 409 answer that is not a rotation to follow.
function conflict(op, status, body) {
  const code = body?.error?.code ?? 'conflict'
  return new ScopestoreError(`scopestore: ${op}: ${status} ${code}: ${body?.error?.message ?? ''}`, { status, code })
}

// rotatedTo is the cfid that a 409 rotated answer's Location names, or ''.
function rotatedTo(location) {
  const cfid = String(location ?? '').split('/').pop()
  return CFID.test(cfid) ? cfid : ''
}

// readCookie returns the value of the cookie name in a Cookie header, or undefined.
function readCookie(header, name) {
  for (const part of String(header ?? '').split(';')) {
    const i = part.indexOf('=')
    if (i > 0 && part.slice(0, i).trim() === name) {
      const value = part.slice(i + 1).trim().replace(/^"(.*)"$/, '$1')
      return TOKEN.test(value) ? value : undefined
    }
  }
  return undefined
}

// setCookie sets the cookie name on the response, replacing an earlier
// Set-Cookie of it: HttpOnly, SameSite=Lax, Path=/, Secure over https,
// lasting until expires (the scope's) or, with maxAge 0, deleting it.
function setCookie(res, name, value, { expires, maxAge, secure }) {
  let cookie = `${name}=${value}; Path=/; HttpOnly; SameSite=Lax`
  if (maxAge === 0) cookie += '; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT'
  else if (expires && !Number.isNaN(new Date(expires).getTime())) cookie += `; Expires=${new Date(expires).toUTCString()}`
  if (secure) cookie += '; Secure'
  const prev = res.getHeader('set-cookie')
  const others = (prev === undefined ? [] : [].concat(prev)).filter((c) => !String(c).startsWith(name + '='))
  res.setHeader('set-cookie', [...others, cookie])
}

// secure says whether the request came over https (express's req.secure
// follows its trust proxy setting).
function secure(req) {
  return Boolean(req.secure ?? req.socket?.encrypted)
}

// defaultSaveError answers a save that failed before the response went
// out: 503 with Retry-After when scopestore or its storage is unavailable,
// else 500 (such as a client scope past the cookie's 4 KB: 413 too_large).
function defaultSaveError(err, req, res) {
  const unavailable = err?.status === 0 || err?.status === 503
  res.statusCode = unavailable ? 503 : 500
  if (unavailable) res.setHeader('retry-after', String(err.retryAfter ?? 5))
  res.setHeader('content-type', 'text/plain; charset=utf-8')
  res.end(unavailable ? 'Sessions are unavailable; try again shortly.\n' : 'The session could not be saved.\n')
}

function expired(sess) {
  const expires = sess?.cookie?.expires
  return expires != null && new Date(expires).getTime() <= Date.now()
}

// The app's application scope, the server scope and named locks, through the
// runtime API (web/README.md): what an app shares between all its processes,
// beside the sessions the store keeps.

import { Client } from './http.js'

/** ScopestoreClient reaches the shared scopes and the named locks of one app. */
export class ScopestoreClient {
  #http
  #app

  /**
   * @param {import('./index.js').ScopestoreClientOptions} opts url, app, key (and timeout, fetch), as the store takes
   * @param {Client} [http] the HTTP client to share (the store's), instead of one of its own
   */
  constructor(opts = {}, http = new Client(opts)) {
    this.#http = http
    this.#app = '/apps/' + encodeURIComponent(opts.app)
    /** The app's one application scope, shared by every process of the app. */
    this.application = new SharedScope(http, 'application', this.#app + '/application')
    /** The server scope: every app reads it; only apps an administrator allowed write it. */
    this.server = new SharedScope(http, 'server', '/server')
  }

  /**
   * lock takes the app's named lock, waiting while others hold it: it rejects
   * with code `locked` when the wait ran out. The lock has a `fence` to send
   * with each write it protects (`ifFence`), `renew(lease)` and `release()`.
   *
   * @param {string} name 1 to 200 characters, no slash
   * @param {{type?: 'exclusive' | 'readonly', timeout?: number, lease?: number}} [opts] milliseconds
   * @returns {Promise<Lock>}
   */
  async lock(name, { type = 'exclusive', timeout, lease } = {}) {
    const body = { type }
    if (timeout !== undefined) body.timeout = ms(timeout)
    if (lease !== undefined) body.lease = ms(lease)
    const path = `${this.#app}/locks/${segment(name)}`
    const { body: got } = await this.#http.request('lock', 'POST', path, { body, root: true })
    return new Lock(this.#http, path, got, type)
  }
}

/** SharedScope is the application scope or the server scope: no id, started empty at version 1. */
class SharedScope {
  #http
  #op
  #path

  constructor(http, op, path) {
    this.#http = http
    this.#op = op
    this.#path = path
  }

  /** get loads the scope (a visit), started empty when there is none yet. */
  get() {
    return this.#call('get', 'GET')
  }

  /**
   * save replaces the scope's data; ifVersion (If-Match) and ifFence (If-Fence, a
   * lock's fence) make it conditional: `precondition_failed` (412) when not met.
   */
  save(data, { ifVersion, ifFence } = {}) {
    return this.#call('save', 'PUT', { data: data ?? {} }, ifVersion, ifFence)
  }

  /** patch applies {set, unset, incr} atomically; ifVersion and ifFence as for save. */
  patch({ set, unset, incr } = {}, { ifVersion, ifFence } = {}) {
    const body = {}
    if (set && Object.keys(set).length) body.set = set
    if (unset?.length) body.unset = unset
    if (incr && Object.keys(incr).length) body.incr = incr
    return this.#call('patch', 'PATCH', body, ifVersion, ifFence)
  }

  async #call(what, method, body, ifVersion, ifFence) {
    const headers = {}
    if (ifVersion != null) headers['if-match'] = `"${ifVersion}"`
    if (ifFence != null) headers['if-fence'] = String(ifFence)
    const res = await this.#http.request(`${what} of the ${this.#op} scope`, method, this.#path, { body, headers, root: true })
    return res.body
  }
}

/** Lock is a named lock held: its token, fence and lease's end. */
class Lock {
  #http
  #path

  constructor(http, path, { name, type, token, fence, expires }, asked) {
    this.#http = http
    this.#path = path
    this.name = name
    this.type = type ?? asked
    this.token = token
    this.fence = fence ?? 0
    this.expires = new Date(expires)
  }

  /** renew extends the lease to lease ms from now (the server's 30 s when not given); `conflict` once it ended. */
  async renew(lease) {
    const { body } = await this.#http.request('renew lock', 'POST', `${this.#path}/renew`, {
      body: lease === undefined ? undefined : { lease: ms(lease) },
      headers: { 'lock-token': this.token },
      root: true,
    })
    this.expires = new Date(body.expires)
  }

  /** release frees the lock; `conflict` when its lease had ended (another holder may have written). */
  async release() {
    await this.#http.request('release lock', 'DELETE', this.#path, {
      headers: { 'lock-token': this.token },
      root: true,
      discard: true,
    })
  }
}

// segment escapes a lock name for the path as Go's net/url escapes a path by
// default: scopestore's router takes a path escaped otherwise as it is (a
// name sent as x%3Ay would be "x%3Ay", not "x:y").
function segment(name) {
  name = String(name)
  if (!name || name.includes('/')) {
    throw new TypeError(`connect-scopestore: lock name ${JSON.stringify(name)}: use 1 to 200 characters without a slash`)
  }
  let out = ''
  for (const byte of Buffer.from(name)) {
    const ch = String.fromCharCode(byte)
    out += byte <= 0x20 || byte >= 0x7f || ESCAPED.includes(ch) ? '%' + byte.toString(16).toUpperCase().padStart(2, '0') : ch
  }
  return out
}

// The printable ASCII characters that Go escapes in a path.
const ESCAPED = '!"#%\'()*<>?[\\]^`{|}'

// ms is a duration in milliseconds as the lock API reads it ("250ms").
function ms(n) {
  if (!Number.isFinite(n) || n < 0) throw new TypeError(`connect-scopestore: a duration in milliseconds, not ${n}`)
  return `${Math.round(n)}ms`
}

// The HTTP calls of scopestore's runtime API (web/README.md), and the one
// error type the store hands to its callbacks.
//
// The calls go through node:http (node:https for an https url) with one
// keep-alive agent per store: Node's fetch (undici) costs two to three times
// the CPU per call, which is most of what an express app spends on a hit.
// A fetch given in the options (tests) is used instead.

import http from 'node:http'
import https from 'node:https'

/** ScopestoreError is every failure the store reports: scopestore's own errors and not reaching it. */
export class ScopestoreError extends Error {
  /**
   * @param {string} message
   * @param {{status?: number, code?: string, retryAfter?: number, cause?: unknown}} [fields]
   */
  constructor(message, { status = 0, code = 'unreachable', retryAfter, cause } = {}) {
    super(message, cause === undefined ? undefined : { cause })
    this.name = 'ScopestoreError'
    // status is the HTTP status, 0 when no answer came (code unreachable or timeout).
    this.status = status
    // code is scopestore's error code (unavailable, unauthorized, …), or unreachable, timeout, invalid_id.
    this.code = code
    if (retryAfter !== undefined) this.retryAfter = retryAfter
  }
}

// Connections to scopestore a store keeps open at most, as many requests in
// flight; more wait for a free one.
const MAX_SOCKETS = 64

// How long an idle connection stays open: undici's default, well below the
// idle timeouts of scopestore (2 minutes) and of the usual proxies, so that
// a request is not sent on a connection the other side is closing.
const IDLE_MS = 4_000

// What send rejects with when no byte came from scopestore for the timeout.
const TIMED_OUT = Symbol('timeout')

// Errors of a kept-alive connection the server closed as it was reused: the
// request is sent once more on a new one (every call of the store may be
// repeated: GET, PUT, PATCH of key values, touch, DELETE).
const RESET = new Set(['ECONNRESET', 'EPIPE'])

/**
 * Client sends the calls of one app to one scopestore: paths below the app's
 * scope kind (sessions or clients), or below /api/v1 with the option root.
 */
export class Client {
  #base
  #root
  #origin
  #auth
  #fetch
  #timeout
  // node:http's or node:https's request, its agent, and where each request goes.
  #request
  #agent
  #hostname
  #port
  #path
  #rootPath

  /** @param {{url: string, app: string, key: string, scope?: string, fetch?: typeof fetch, timeout?: number}} opts */
  constructor({ url, app, key, scope = 'sessions', fetch, timeout = 10_000 }) {
    if (!url || !app || !key) throw new TypeError('connect-scopestore: url, app and key are required')
    if (scope !== 'sessions' && scope !== 'clients') {
      throw new TypeError(`connect-scopestore: scope must be "sessions" or "clients", not ${JSON.stringify(scope)}`)
    }
    this.#root = `${String(url).replace(/\/+$/, '')}/api/v1`
    this.#base = `${this.#root}/apps/${encodeURIComponent(app)}/${scope}`
    this.#origin = this.#root.slice(0, -'/api/v1'.length)
    this.#auth = `Bearer ${key}`
    this.#timeout = timeout
    if (fetch) {
      this.#fetch = fetch
      return
    }
    let parsed
    try {
      parsed = new URL(this.#base)
    } catch {
      throw new TypeError(
        `connect-scopestore: url ${JSON.stringify(String(url))} is not a URL (e.g. http://127.0.0.1:8080)`,
      )
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
      throw new TypeError(`connect-scopestore: url must be http:// or https://, not ${JSON.stringify(String(url))}`)
    }
    const transport = parsed.protocol === 'https:' ? https : http
    this.#request = transport.request
    this.#agent = new transport.Agent({ keepAlive: true, maxSockets: MAX_SOCKETS, timeout: IDLE_MS })
    this.#hostname = parsed.hostname.replace(/^\[(.*)\]$/, '$1') // an IPv6 address without its brackets
    this.#port = parsed.port
    this.#path = parsed.pathname
    this.#rootPath = new URL(this.#root).pathname
  }

  /**
   * request sends one call and returns its status and parsed body. A status
   * that is neither 2xx nor listed in allow becomes a ScopestoreError, as
   * does no answer at all. op names the call in messages; session ids are
   * left out of them, since they end up in logs. The body is a value to send
   * as JSON, or json the JSON text itself; location is the answer's Location
   * header (a rotated session's new cfid). discard says the caller has no use
   * for the answer's body: a 2xx JSON answer is then not parsed, and its body
   * is null, unless it carries a Scope-Token. root says path is below /api/v1
   * rather than below the app's scope kind. token is the Scope-Token of a
   * client scope in cookie storage, sent when given; the answer's is token.
   *
   * @param {string} op
   * @param {string} method
   * @param {string} path
   * @param {{body?: unknown, json?: string, headers?: Record<string, string>, allow?: number[],
   *   discard?: boolean, root?: boolean, token?: string}} [opts]
   * @returns {Promise<{status: number, body: any, location?: string, token?: string}>}
   */
  async request(op, method, path, { body, json, headers, allow, discard, root, token } = {}) {
    if (json === undefined && body !== undefined) json = JSON.stringify(body)
    const sent = { authorization: this.#auth, accept: 'application/json', ...headers }
    if (json !== undefined) sent['content-type'] = 'application/json'
    if (token) sent['scope-token'] = token
    let res
    try {
      res = this.#fetch
        ? await this.#viaFetch(method, (root ? this.#root : this.#base) + path, sent, json)
        : await this.#send(method, (root ? this.#rootPath : this.#path) + path, sent, json, true)
    } catch (err) {
      if (err === TIMED_OUT || err?.name === 'TimeoutError' || err?.name === 'AbortError') {
        throw new ScopestoreError(`scopestore: ${op}: no answer within ${this.#timeout} ms`, {
          code: 'timeout',
          cause: err === TIMED_OUT ? undefined : err,
        })
      }
      const why = err?.cause?.code ?? err?.code ?? err?.cause?.message ?? err?.message
      throw new ScopestoreError(`scopestore: ${op}: cannot reach ${this.#origin}: ${why}`, { cause: err })
    }
    const { status, text } = res
    const ok = status >= 200 && status < 300
    const answered = res.token || undefined
    if (ok && discard && !answered && (!text || res.type?.startsWith('application/json'))) {
      return { status, body: null }
    }
    const parsed = parseJSON(text)
    if (ok && text && parsed === null) {
      throw new ScopestoreError(`scopestore: ${op}: ${status} with a body that is not JSON (a proxy in the way?)`, {
        status,
        code: 'bad_answer',
      })
    }
    if (ok || allow?.includes(status)) {
      return { status, body: parsed, location: res.location ?? undefined, token: answered }
    }

    const code = parsed?.error?.code ?? 'http_' + status
    const message = parsed?.error?.message ?? (text.slice(0, 200) || res.statusText)
    const retry = Number(res.retryAfter)
    throw new ScopestoreError(`scopestore: ${op}: ${status} ${code}: ${message}`, {
      status,
      code,
      retryAfter: Number.isFinite(retry) && retry > 0 ? retry : undefined,
    })
  }

  // send makes one request with node:http and resolves with its answer,
  // rejects with TIMED_OUT when no byte came for the timeout, or with the
  // socket's error. retry sends it again on a new connection once when a
  // kept-alive one turns out closed before any answer.
  #send(method, path, headers, json, retry) {
    return new Promise((resolve, reject) => {
      const req = this.#request({
        agent: this.#agent,
        hostname: this.#hostname,
        port: this.#port,
        method,
        path,
        headers,
        timeout: this.#timeout,
      })
      let answered = false // a response began, or the timeout gave up on it
      req.on('response', (res) => {
        answered = true
        const chunks = []
        res.on('data', (chunk) => chunks.push(chunk))
        res.on('end', () => {
          const text = chunks.length === 1 ? chunks[0].toString() : Buffer.concat(chunks).toString()
          const { 'content-type': type, 'retry-after': retryAfter, location, 'scope-token': token } = res.headers
          resolve({ status: res.statusCode, statusText: res.statusMessage, type, retryAfter, location, token, text })
        })
        res.on('error', reject)
      })
      req.on('timeout', () => {
        answered = true
        reject(TIMED_OUT)
        req.destroy()
      })
      req.on('error', (err) => {
        if (retry && !answered && req.reusedSocket && RESET.has(err?.code)) {
          resolve(this.#send(method, path, headers, json, false))
        } else {
          reject(err)
        }
      })
      req.end(json)
    })
  }

  // viaFetch makes the request to url with the fetch given in the options.
  async #viaFetch(method, url, headers, json) {
    const init = { method, headers, signal: AbortSignal.timeout(this.#timeout) }
    if (json !== undefined) init.body = json
    const res = await this.#fetch(url, init)
    const text = await res.text()
    return {
      status: res.status,
      statusText: res.statusText,
      type: res.headers.get('content-type'),
      retryAfter: res.headers.get('retry-after'),
      location: res.headers.get('location'),
      token: res.headers.get('scope-token'),
      text,
    }
  }
}

function parseJSON(text) {
  if (!text) return null
  try {
    return JSON.parse(text)
  } catch {
    return null
  }
}

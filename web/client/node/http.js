// The HTTP calls of scopestore's runtime API (web/README.md), and the one
// error type the store hands to its callbacks.

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

/** Client sends the calls of one app and kind (sessions or clients) to one scopestore. */
export class Client {
  #base
  #key
  #fetch
  #timeout

  /** @param {{url: string, app: string, key: string, scope?: string, fetch?: typeof fetch, timeout?: number}} opts */
  constructor({ url, app, key, scope = 'sessions', fetch = globalThis.fetch, timeout = 10_000 }) {
    if (!url || !app || !key) throw new TypeError('connect-scopestore: url, app and key are required')
    if (scope !== 'sessions' && scope !== 'clients') {
      throw new TypeError(`connect-scopestore: scope must be "sessions" or "clients", not ${JSON.stringify(scope)}`)
    }
    this.#base = `${String(url).replace(/\/+$/, '')}/api/v1/apps/${encodeURIComponent(app)}/${scope}`
    this.#key = key
    this.#fetch = fetch
    this.#timeout = timeout
  }

  /**
   * request sends one call and returns its status and parsed body. A status
   * that is neither 2xx nor listed in allow becomes a ScopestoreError, as
   * does no answer at all. op names the call in messages; session ids are
   * left out of them, since they end up in logs.
   *
   * @param {string} op
   * @param {string} method
   * @param {string} path
   * @param {{body?: unknown, headers?: Record<string, string>, allow?: number[]}} [opts]
   * @returns {Promise<{status: number, body: any}>}
   */
  async request(op, method, path, { body, headers = {}, allow = [] } = {}) {
    const init = {
      method,
      headers: { authorization: `Bearer ${this.#key}`, accept: 'application/json', ...headers },
      signal: AbortSignal.timeout(this.#timeout),
    }
    if (body !== undefined) {
      init.headers['content-type'] = 'application/json'
      init.body = JSON.stringify(body)
    }
    let res, text
    try {
      res = await this.#fetch(this.#base + path, init)
      text = await res.text()
    } catch (err) {
      if (err?.name === 'TimeoutError' || err?.name === 'AbortError') {
        throw new ScopestoreError(`scopestore: ${op}: no answer within ${this.#timeout} ms`, { code: 'timeout', cause: err })
      }
      const why = err?.cause?.code ?? err?.cause?.message ?? err?.message
      throw new ScopestoreError(`scopestore: ${op}: cannot reach ${this.#base.split('/api/')[0]}: ${why}`, { cause: err })
    }
    const parsed = parseJSON(text)
    if (res.ok && text && parsed === null) {
      throw new ScopestoreError(`scopestore: ${op}: ${res.status} with a body that is not JSON (a proxy in the way?)`, {
        status: res.status,
        code: 'bad_answer',
      })
    }
    if (res.ok || allow.includes(res.status)) return { status: res.status, body: parsed }

    const code = parsed?.error?.code ?? 'http_' + res.status
    const message = parsed?.error?.message ?? (text.slice(0, 200) || res.statusText)
    const retry = Number(res.headers.get('retry-after'))
    throw new ScopestoreError(`scopestore: ${op}: ${res.status} ${code}: ${message}`, {
      status: res.status,
      code,
      retryAfter: Number.isFinite(retry) && retry > 0 ? retry : undefined,
    })
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

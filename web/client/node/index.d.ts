import { SessionData, Store } from 'express-session'

/** Options of ScopestoreStore. */
export interface ScopestoreStoreOptions {
  /** Where scopestore listens, e.g. `http://127.0.0.1:8080` (the API is under `/api/v1`). */
  url: string
  /** The app the sessions belong to, as created with `scopestore app create`. */
  app: string
  /** The app's API key. */
  key: string
  /** Which scope to keep the sessions in; default `'sessions'`. */
  scope?: 'sessions' | 'clients'
  /** Milliseconds to wait for each answer; default 10000. */
  timeout?: number
  /** Skip `POST …/touch`: every `get` already counts as a visit that extends the expiry. */
  disableTouch?: boolean
  /** A fetch to send the calls with instead of node:http (tests). */
  fetch?: typeof globalThis.fetch
}

/** Every failure the store reports, to the callback or as a rejected promise. */
export class ScopestoreError extends Error {
  /** The HTTP status; 0 when no answer came. */
  status: number
  /** scopestore's error code (`unavailable`, `unauthorized`, …), or `unreachable`, `timeout`, `invalid_id`, `bad_answer`. */
  code: string
  /** Seconds from a 503's `Retry-After`. */
  retryAfter?: number
}

type Callback<T = void> = (err: any, value?: T) => void

/** An express-session store that keeps each session in scopestore. */
export class ScopestoreStore extends Store {
  constructor(options: ScopestoreStoreOptions)

  get(sid: string, callback: Callback<SessionData | null>): void
  get(sid: string): Promise<SessionData | null>

  set(sid: string, session: SessionData, callback: Callback): void
  set(sid: string, session: SessionData): Promise<void>

  touch(sid: string, session: SessionData, callback: Callback): void
  touch(sid: string, session: SessionData): Promise<void>

  destroy(sid: string, callback: Callback): void
  destroy(sid: string): Promise<void>

  all(callback: Callback<Array<SessionData & { id: string }>>): void
  all(): Promise<Array<SessionData & { id: string }>>

  ids(callback: Callback<string[]>): void
  ids(): Promise<string[]>

  length(callback: Callback<number>): void
  length(): Promise<number>

  clear(callback: Callback): void
  clear(): Promise<void>
}

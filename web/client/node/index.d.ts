import type { RequestHandler } from 'express'
import { SessionData, Store } from 'express-session'

/** Options of ScopestoreClient: where scopestore is and the app's key. */
export interface ScopestoreClientOptions {
  /** Where scopestore listens, e.g. `http://127.0.0.1:8080` (the API is under `/api/v1`). */
  url: string
  /** The app, as created with `scopestore app create`. */
  app: string
  /** The app's API key. */
  key: string
  /** Milliseconds to wait for each answer; default 10000. */
  timeout?: number
  /** A fetch to send the calls with instead of node:http (tests). */
  fetch?: typeof globalThis.fetch
}

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
  /** The cookie that withScopeToken keeps a cookie-stored client scope's token in; default `'CFCLIENTTOKEN'`. */
  tokenCookie?: string
}

/** A scope as scopestore answers it. */
export interface Scope {
  /** The app's name, in its application scope only. */
  applicationname?: string
  /** Sessions and client scopes only. */
  cfid?: string
  timecreated: string
  lastvisit: string
  expires: string
  /** Counts the saves; `ifVersion` takes it. */
  version: number
  /** The greatest lock fence the scope was written under, when one was. */
  fence?: number
  storage: string
  data: Record<string, any>
}

/** What makes a write conditional: `precondition_failed` (412) when one is not met. */
export interface WriteConditions {
  /** The version the scope must be at (If-Match). */
  ifVersion?: number
  /** The fence of the lock the write is made under (If-Fence): refused once the scope was written under a greater one. */
  ifFence?: number
}

/** The changes of a patch, applied atomically. */
export interface ScopePatch {
  set?: Record<string, unknown>
  unset?: string[]
  incr?: Record<string, number>
}

/** The application scope or the server scope: no id, started empty at version 1. */
export interface SharedScope {
  /** Loads the scope (a visit), started empty when there is none yet. */
  get(): Promise<Scope>
  /** Replaces the scope's data. */
  save(data: Record<string, unknown>, conditions?: WriteConditions): Promise<Scope>
  /** Applies set, unset and incr atomically. */
  patch(patch: ScopePatch, conditions?: WriteConditions): Promise<Scope>
}

/** Options of a lock request; durations in milliseconds. */
export interface LockOptions {
  /** Default `'exclusive'`. */
  type?: 'exclusive' | 'readonly'
  /** How long to wait while others hold it (at most 30000; 0 tries once); default the server's 5000. */
  timeout?: number
  /** How long it is held unless renewed or released (1000 to 600000); default the server's 30000. */
  lease?: number
}

/** A named lock held. */
export interface Lock {
  name: string
  type: 'exclusive' | 'readonly'
  token: string
  /** Send it as `ifFence` with every write the lock protects. */
  fence: number
  /** When the lease ends unless renewed. */
  expires: Date
  /** Extends the lease to `lease` ms from now (default 30000); `conflict` once it ended. */
  renew(lease?: number): Promise<void>
  /** Frees the lock; `conflict` when its lease had ended. */
  release(): Promise<void>
}

/** The app's application scope, the server scope and named locks. */
export class ScopestoreClient {
  constructor(options: ScopestoreClientOptions)
  /** The app's one application scope, shared by every process of the app. */
  readonly application: SharedScope
  /** The server scope: every app reads it; only apps an administrator allowed write it (`forbidden` otherwise). */
  readonly server: SharedScope
  /** Takes the app's named lock; rejects with code `locked` when the wait ran out. */
  lock(name: string, options?: LockOptions): Promise<Lock>
}

/** Every failure the store reports, to the callback or as a rejected promise. */
export class ScopestoreError extends Error {
  /** The HTTP status; 0 when no answer came. */
  status: number
  /**
   * scopestore's error code (`unavailable`, `unauthorized`, `precondition_failed`, `locked`, `too_large`, …), or
   * `unreachable`, `timeout`, `invalid_id`, `bad_answer`, `no_token_cookie`.
   */
  code: string
  /** Seconds from a 503's `Retry-After`. */
  retryAfter?: number
}

type Callback<T = void> = (err: any, value?: T) => void

/** An express-session store that keeps each session in scopestore. */
export class ScopestoreStore extends Store {
  constructor(options: ScopestoreStoreOptions)

  /** The app's application scope (as ScopestoreClient's). */
  readonly application: SharedScope
  /** The server scope (as ScopestoreClient's). */
  readonly server: SharedScope
  /** Takes the app's named lock (as ScopestoreClient's). */
  lock(name: string, options?: LockOptions): Promise<Lock>

  /**
   * Wraps express-session's middleware so that a client scope in cookie storage carries its sealed token in
   * the `tokenCookie` cookie, and a changed session is saved before the response's header goes out.
   */
  withScopeToken(
    sessionMiddleware: RequestHandler,
    options?: { onSaveError?: (err: ScopestoreError, req: any, res: any) => void },
  ): RequestHandler

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

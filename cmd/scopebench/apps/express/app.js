// scopebench's express app, run by cmd/scopebench (app_express.go) as
// app-express and app-connect-redis: GET /hit does n = n + 1 in the visitor's
// express-session and answers the new n; SCOPEBENCH_STORE chooses the store:
//
//   connect-redis       connect-redis on the Redis at SCOPEBENCH_REDIS_URL,
//                       keys under SCOPEBENCH_REDIS_PREFIX
//   connect-scopestore  web/client/node (loaded by path) on the scopestore at
//                       SCOPEBENCH_SCOPESTORE_URL, app SCOPEBENCH_APP, key
//                       SCOPEBENCH_APP_KEY
//
// Everything else is the same: express-session with resave: false,
// saveUninitialized: false, UUIDs as ids. GET /stats answers the hits served
// and the calls made to the store's backend (Redis commands or HTTP
// requests), for the report. It listens on a free loopback port and says
// which on stderr, as scopebench's children do.

import crypto from 'node:crypto'
import diagnostics from 'node:diagnostics_channel'

import express from 'express'
import session from 'express-session'

const env = process.env
let hits = 0
let calls = 0

async function makeStore() {
  switch (env.SCOPEBENCH_STORE) {
    case 'connect-redis': {
      const { createClient } = await import('redis')
      const { RedisStore } = await import('connect-redis')
      const client = createClient({ url: env.SCOPEBENCH_REDIS_URL })
      client.on('error', (err) => console.error(`level=ERROR msg="redis client" err=${JSON.stringify(String(err))}`))
      await client.connect()
      if (!env.SCOPEBENCH_REDIS_PREFIX) throw new Error('SCOPEBENCH_REDIS_PREFIX is required: every key must be under the run\'s prefix')
      const store = new RedisStore({ client, prefix: env.SCOPEBENCH_REDIS_PREFIX })
      // Each of connect-redis's calls is one Redis command: count them.
      for (const method of ['get', 'set', 'touch', 'destroy']) {
        const call = store[method].bind(store)
        store[method] = (...args) => {
          calls++
          return call(...args)
        }
      }
      return store
    }
    case 'connect-scopestore': {
      const { ScopestoreStore } = await import('../../../../web/client/node/index.js')
      // Each of its calls is one HTTP request (node:http): count them as
      // Node announces them, which leaves the store's transport as it is.
      diagnostics.subscribe('http.client.request.start', () => calls++)
      return new ScopestoreStore({
        url: env.SCOPEBENCH_SCOPESTORE_URL,
        app: env.SCOPEBENCH_APP,
        key: env.SCOPEBENCH_APP_KEY,
      })
    }
    default:
      throw new Error(`SCOPEBENCH_STORE must be connect-redis or connect-scopestore, not ${JSON.stringify(env.SCOPEBENCH_STORE)}`)
  }
}

const app = express()
app.get('/stats', (req, res) => res.json({ hits, calls }))
app.use(
  session({
    store: await makeStore(),
    secret: 'scopebench',
    resave: false,
    saveUninitialized: false,
    genid: () => crypto.randomUUID(),
  }),
)
app.get('/hit', (req, res) => {
  req.session.n = (req.session.n || 0) + 1
  hits++
  res.type('text/plain').send(String(req.session.n))
})
app.use((err, req, res, next) => {
  console.error(`level=ERROR msg="request failed" path=${req.path} err=${JSON.stringify(String(err?.stack ?? err))}`)
  if (res.headersSent) return next(err)
  res.status(500).type('text/plain').send(String(err?.message ?? err))
})

const server = app.listen(0, '127.0.0.1', () => {
  const { port } = server.address()
  console.error(`level=INFO msg="scopebench listening" addr=http://127.0.0.1:${port} server=${env.SCOPEBENCH_NAME ?? 'express'} store=${env.SCOPEBENCH_STORE}`)
})
// The Go servers' idle timeout: the load generator's connections wait for
// the other app's rounds.
server.keepAliveTimeout = 120_000
server.headersTimeout = 121_000
process.on('SIGTERM', () => {
  server.close()
  process.exit(0)
})

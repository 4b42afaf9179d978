// A counter kept in a scopestore session: run it twice on two ports and the
// count carries over from one process to the other.
//
//   SCOPESTORE_KEY=… PORT=3000 node example/app.js

import crypto from 'node:crypto'

import express from 'express'
import session from 'express-session'

import { ScopestoreStore } from 'connect-scopestore'

const env = process.env
if (!env.SCOPESTORE_KEY) {
  console.error('set SCOPESTORE_KEY to the key that "scopestore app create shop" printed')
  process.exit(2)
}

const app = express()
app.use(
  session({
    store: new ScopestoreStore({ url: env.SCOPESTORE_URL ?? 'http://127.0.0.1:8080', app: 'shop', key: env.SCOPESTORE_KEY }),
    secret: env.SESSION_SECRET ?? 'the same secret in every process',
    resave: false,
    saveUninitialized: false,
    genid: () => crypto.randomUUID(),
  }),
)

app.get('/', (req, res) => {
  req.session.n = (req.session.n ?? 0) + 1
  res.json({ n: req.session.n, pid: process.pid })
})

const port = Number(env.PORT ?? 3000)
app.listen(port, '127.0.0.1', () => console.log(`counter on http://127.0.0.1:${port}/`))

// Two express processes with the same store behind a round-robin: requests
// alternate between them with one cookie, and the counter never loses a step.

import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import path from 'node:path'
import { after, before, describe, test } from 'node:test'
import { fileURLToPath } from 'node:url'

import { freePort, skip, startScopestore } from './testserver.js'

const example = path.join(path.dirname(fileURLToPath(import.meta.url)), 'example', 'app.js')

// startExample runs example/app.js and returns its address once it listens.
async function startExample(server) {
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort()
    const proc = spawn(process.execPath, [example], {
      env: { ...process.env, PORT: String(port), SCOPESTORE_URL: server.url, SCOPESTORE_KEY: server.key },
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    const up = await Promise.race([
      once(proc.stdout, 'data').then(() => true),
      once(proc, 'exit').then(() => false), // the port was taken in between
    ])
    if (up) return { url: `http://127.0.0.1:${port}/`, proc }
  }
  throw new Error('example/app.js did not start')
}

describe('express behind a round-robin', { skip }, () => {
  let server
  const apps = []
  before(async () => {
    server = await startScopestore()
    apps.push(await startExample(server), await startExample(server))
  })
  after(async () => {
    for (const { proc } of apps) {
      proc.kill('SIGTERM')
      if (proc.exitCode === null) await once(proc, 'exit')
    }
    await server?.stop()
  })

  test('the counter carries over between two processes', async () => {
    const requests = 20
    let cookie = ''
    const pids = new Set()
    let last
    for (let i = 0; i < requests; i++) {
      const res = await fetch(apps[i % 2].url, { headers: cookie ? { cookie } : {} })
      assert.equal(res.status, 200)
      cookie = res.headers.get('set-cookie')?.split(';')[0] ?? cookie
      last = await res.json()
      assert.equal(last.n, i + 1)
      pids.add(last.pid)
    }
    assert.equal(last.n, requests)
    assert.equal(pids.size, 2)
  })
})

// A real scopestore for the tests: built from this repository (or taken from
// SCOPESTORE_BIN), with a temporary data directory, an app "shop", and a free
// loopback port in 18100–18199. Without Go the tests skip, unless
// SCOPESTORE_TEST_REQUIRE_SERVICES=1 says they must run.

import { spawn, spawnSync } from 'node:child_process'
import fs from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..')
const required = process.env.SCOPESTORE_TEST_REQUIRE_SERVICES === '1'

const go = ['go', '/usr/local/go/bin/go'].find((bin) => spawnSync(bin, ['version']).status === 0)
const missing = process.env.SCOPESTORE_BIN || go ? '' : 'go is not installed (needed to build scopestore from ' + repo + ')'

/** skip is the reason to skip the tests that need scopestore, or false to run them. */
export const skip = missing && !required ? `skipped: ${missing}; set SCOPESTORE_BIN or install Go` : false

let built

// binary builds scopestore once per test process into a temporary directory.
function binary() {
  if (process.env.SCOPESTORE_BIN) return process.env.SCOPESTORE_BIN
  if (missing) throw new Error(`SCOPESTORE_TEST_REQUIRE_SERVICES=1 but ${missing}`)
  if (!built) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'connect-scopestore-bin-'))
    process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }))
    const bin = path.join(dir, 'scopestore')
    const res = spawnSync(go, ['build', '-o', bin, './cmd/scopestore'], { cwd: repo, encoding: 'utf8' })
    if (res.status !== 0) throw new Error(`go build ./cmd/scopestore in ${repo} failed:\n${res.stderr}`)
    built = bin
  }
  return built
}

/**
 * startScopestore runs a scopestore with an app "shop" and returns what a
 * store needs ({url, app, key}), admin(...args), which runs a command of its
 * CLI on its data, and stop(), which ends it and removes its data.
 */
export async function startScopestore() {
  const bin = binary()
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'connect-scopestore-'))
  const dataDir = path.join(dir, 'data')
  const created = spawnSync(bin, ['app', 'create', 'shop', '--data-dir', dataDir], { encoding: 'utf8' })
  if (created.status !== 0) throw new Error(`scopestore app create shop failed:\n${created.stderr}`)
  const key = created.stdout.trim()

  let log = ''
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort()
    const url = `http://127.0.0.1:${port}`
    // --cache-ttl 0: settings a test declares apply at once.
    const proc = spawn(
      bin,
      ['serve', '--data-dir', dataDir, '--addr', `127.0.0.1:${port}`, '--cache-ttl', '0', '--shutdown-timeout', '2s'],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    )
    proc.stderr.on('data', (chunk) => (log += chunk))
    const exited = new Promise((resolve) => proc.once('exit', resolve))
    if (await ready(url, key, proc)) {
      let stopped
      const stop = () => {
        stopped ??= (async () => {
          if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM')
          await exited
          fs.rmSync(dir, { recursive: true, force: true })
        })()
        return stopped
      }
      // admin runs a command of scopestore's CLI on this server's data, as an
      // administrator would (settings only an administrator may set).
      const admin = (...args) => {
        const res = spawnSync(bin, [...args, '--data-dir', dataDir], { encoding: 'utf8' })
        if (res.status !== 0) throw new Error(`scopestore ${args.join(' ')} failed:\n${res.stderr}`)
        return res.stdout
      }
      return { url, app: 'shop', key, stop, admin, log: () => log }
    }
    if (proc.exitCode === null) proc.kill('SIGKILL')
    await exited
  }
  fs.rmSync(dir, { recursive: true, force: true })
  throw new Error(`scopestore did not start:\n${log}`)
}

// ready waits until the server answers this app's key, which tells it from a
// server of another test file that took the same port.
async function ready(url, key, proc) {
  for (let i = 0; i < 300; i++) {
    if (proc.exitCode !== null) return false
    try {
      const res = await fetch(`${url}/api/v1/apps/shop/settings`, { headers: { authorization: `Bearer ${key}` } })
      await res.arrayBuffer()
      if (res.ok) return true
    } catch {
      // not listening yet
    }
    await sleep(50)
  }
  return false
}

/** freePort returns a loopback port in 18100–18199 that nothing listens on now. */
export async function freePort() {
  const start = Math.floor(Math.random() * 100)
  for (let i = 0; i < 100; i++) {
    const port = 18100 + ((start + i) % 100)
    const ok = await new Promise((resolve) => {
      const srv = net.createServer()
      srv.once('error', () => resolve(false))
      srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)))
    })
    if (ok) return port
  }
  throw new Error('no free port in 18100–18199')
}

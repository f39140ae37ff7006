// Fails when the committed OpenAPI document or generated client types differ from what
// the current backend produces. Fix with `npm run gen:api` (or `make web-api`).
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const frontend = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const nexus = join(frontend, '..', '.venv', 'bin', 'nexus')
const work = mkdtempSync(join(tmpdir(), 'nexus-api-'))
try {
  execFileSync(nexus, ['openapi', '-o', join(work, 'openapi.json')], { stdio: 'inherit' })
  execFileSync(process.execPath, [join(frontend, 'node_modules/openapi-typescript/bin/cli.js'), join(work, 'openapi.json'), '-o', join(work, 'schema.d.ts')], { stdio: 'ignore' })
  const stale = []
  for (const [fresh, committed] of [
    [join(work, 'openapi.json'), join(frontend, 'openapi.json')],
    [join(work, 'schema.d.ts'), join(frontend, 'src/api/schema.d.ts')],
  ]) {
    let current = ''
    try {
      current = readFileSync(committed, 'utf8')
    } catch {}
    if (current !== readFileSync(fresh, 'utf8')) stale.push(committed.slice(frontend.length + 1))
  }
  if (stale.length) {
    console.error(`API drift: ${stale.join(' and ')} differ from what the backend produces now.`)
    console.error('Regenerate with `make web-api` (or `cd frontend && npm run gen:api`) and commit the result.')
    process.exit(1)
  }
  console.log('API schema and generated client types are up to date.')
} finally {
  rmSync(work, { recursive: true, force: true })
}

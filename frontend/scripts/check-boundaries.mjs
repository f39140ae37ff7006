// Front-end house rules (STYLE.md 20-24) as a check: features never import each other,
// no hand-written fetch outside the API client, no edits to the generated schema by hand
// (the drift check covers that), and Intl.NumberFormat only in lib/money.ts.
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const src = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'src')
const files = []
const walk = (dir) => {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) walk(path)
    else if (/\.(ts|tsx)$/.test(name) && !name.endsWith('.d.ts') && !name.includes('.test.')) files.push(path)
  }
}
walk(src)
const problems = []
for (const file of files) {
  const rel = relative(src, file)
  const text = readFileSync(file, 'utf8')
  const feature = rel.match(/^features\/([^/]+)\//)?.[1]
  for (const match of text.matchAll(/from ['"]([^'"]+)['"]/g)) {
    const spec = match[1]
    const other = spec.match(/^@\/features\/([^/]+)/)?.[1] ?? (spec.startsWith('.') ? relative(src, resolve(dirname(file), spec)).match(/^features\/([^/]+)/)?.[1] : undefined)
    if (other && feature && other !== feature) problems.push(`${rel}: feature "${feature}" imports feature "${other}"`)
    if (other && !feature && !rel.startsWith('app/')) problems.push(`${rel}: shared code imports feature "${other}"`)
    if (/\/index$/.test(spec)) problems.push(`${rel}: barrel import ${spec}`)
  }
  if (/\bfetch\(/.test(text) && rel !== 'api/client.ts') problems.push(`${rel}: hand-written fetch (use the generated client in api/client.ts)`)
  if (/Intl\.NumberFormat/.test(text) && rel !== 'lib/money.ts') problems.push(`${rel}: money/number formatting outside lib/money.ts`)
}
for (const p of problems) console.error(p)
if (problems.length) process.exit(1)
console.log(`Front-end boundaries hold (${files.length} files).`)

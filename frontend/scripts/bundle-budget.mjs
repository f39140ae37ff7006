// Prints the gzipped size of the JavaScript the first page load needs (the entry chunk
// and the chunks index.html preloads) and fails when it exceeds the budget.
import { readFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'

const BUDGET_KB = Number(process.env.BUNDLE_BUDGET_KB ?? 250)
const dist = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'dist')
const html = readFileSync(join(dist, 'index.html'), 'utf8')
const initial = [...new Set([...html.matchAll(/(?:src|href)="\/?([^"]+\.js)"/g)].map((m) => m[1]))]
let total = 0
const rows = initial.map((file) => {
  const bytes = readFileSync(join(dist, file))
  const gz = gzipSync(bytes, { level: 9 }).length
  total += gz
  return { file, raw_kb: +(bytes.length / 1024).toFixed(1), gzip_kb: +(gz / 1024).toFixed(1) }
})
console.table(rows)
const totalKb = total / 1024
console.log(JSON.stringify({ initial_js_gzip_kb: +totalKb.toFixed(1), budget_kb: BUDGET_KB, chunks: rows.length }))
if (totalKb > BUDGET_KB) {
  console.error(`Initial JS is ${totalKb.toFixed(1)} KB gzipped, over the ${BUDGET_KB} KB budget.`)
  process.exit(1)
}

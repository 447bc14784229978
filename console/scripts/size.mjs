// The JavaScript and CSS the first screen loads (index.html's own assets), raw and gzip-compressed: the
// budget is 250 KB compressed. Run after `npm run build`.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";

const dist = new URL("../../src/oms_graph/console/", import.meta.url).pathname;
const html = readFileSync(join(dist, "index.html"), "utf8");
const assets = [...html.matchAll(/(?:src|href)="\/console\/([^"]+\.(?:js|css))"/g)].map((m) => m[1]);
let raw = 0;
let compressed = 0;
console.log("| file | bytes | gzip bytes |\n| --- | --- | --- |");
for (const asset of assets) {
  const bytes = readFileSync(join(dist, asset));
  const gz = gzipSync(bytes, { level: 9 }).length;
  raw += bytes.length;
  compressed += gz;
  console.log(`| ${asset} | ${bytes.length} | ${gz} |`);
}
console.log(`| first screen in all | ${raw} | ${compressed} |`);
if (compressed > 250 * 1024) {
  console.error(`over the 250 KB budget: ${compressed} bytes compressed`);
  process.exit(1);
}

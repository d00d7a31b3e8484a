// Parses PromQL expressions with Prometheus' own grammar (@prometheus-io/lezer-promql, the one
// the Prometheus UI uses) and reports each that does not parse.
//
//   node check_promql.mjs TOOLS_DIR < expressions.json     (a JSON list of {name, expr})
// Prints "name: syntax error at offset N: expr" per bad expression and exits 1 when there is
// any, else prints "N expressions parse" and exits 0.
import { readFileSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";

const tools = process.argv[2];
const { parser } = await import(
    pathToFileURL(path.join(tools, "node_modules", "@prometheus-io", "lezer-promql", "dist", "index.es.js")).href);
const exprs = JSON.parse(readFileSync(0, "utf8"));
let bad = 0;
for (const { name, expr } of exprs) {
    const errors = [];
    parser.parse(expr).iterate({ enter: (n) => { if (n.type.isError) errors.push(n.from); } });
    if (errors.length) {
        ++bad;
        console.log(`${name}: syntax error at offset ${errors[0]}: ${expr}`);
    }
}
if (bad) process.exit(1);
console.log(`${exprs.length} expressions parse`);

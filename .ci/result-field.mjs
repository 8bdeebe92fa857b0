// Reads flightdeck's JSON-lines events on standard input and prints one field of the
// final `result` event (e.g. `url`). Exits 1 when there is no result or no such field.
import { createInterface } from "node:readline";

const field = process.argv[2];
if (!field) {
  process.stderr.write("usage: node .ci/result-field.mjs FIELD < events.jsonl\n");
  process.exit(2);
}
let result;
for await (const line of createInterface({ input: process.stdin })) {
  try {
    const event = JSON.parse(line);
    if (event.type === "result") result = event;
  } catch {
    // Not an event line (npm's own output, say): ignore it.
  }
}
const value = result?.[field] ?? result?.data?.[field];
if (value === undefined) {
  process.stderr.write(`no '${field}' in the result event\n`);
  process.exit(1);
}
process.stdout.write(`${value}\n`);

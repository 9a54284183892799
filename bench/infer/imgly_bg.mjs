// bench/infer/imgly_bg.mjs — the reference for background removal: @imgly/background-removal-node
// (ISNet "medium" through onnxruntime-node), as its users call it: removeBackground(blob) → PNG blob.
// Run from a folder where the package is installed: node imgly_bg.mjs IMAGE.png N
// Prints the median seconds of N calls after one warm-up call (the first call also creates the
// onnxruntime session).
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

// Resolved from the current folder (where the package is installed), not from this file's.
const { removeBackground } = createRequire(process.cwd() + "/")("@imgly/background-removal-node");

const [path, n = "3"] = process.argv.slice(2);
const bytes = readFileSync(path);
const config = { model: "medium", output: { format: "image/png" } };
const once = async () => {
  const t0 = performance.now();
  const out = await removeBackground(new Blob([bytes], { type: "image/png" }), config);
  await out.arrayBuffer();
  return (performance.now() - t0) / 1000;
};
const first = await once();
const times = [];
for (let i = 0; i < Number(n); i++) times.push(await once());
times.sort((a, b) => a - b);
console.log(`first ${first.toFixed(3)} median ${times[Math.floor(times.length / 2)].toFixed(3)}`);

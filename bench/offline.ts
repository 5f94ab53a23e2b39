// Cold wall time of `npm run offline`: every measurement is a new Node process,
// as a user's run is. Not a test; prints a Markdown table.
//
//   npm run bench            (3 runs per case, median reported)
//   npm run bench -- 5       (5 runs per case)
import * as childProcess from "child_process";
import * as os from "os";
import * as path from "path";

const ROOT = path.resolve(__dirname, "..");
const reps = Number(process.argv[2] ?? 3);

interface Case {
    readonly label: string;
    readonly args: string[];
}

const cases: Case[] = [
    { label: "floor: one RandomPassword", args: ["--stack", "bench", "--project", "bench/floor"] },
    { label: "dev stack (10 services)", args: ["--stack", "dev"] },
    ...[12, 50, 200].map((n) => ({ label: `synthetic, ${n} Java services`, args: ["--stack", "bench", "--project", "bench/synthetic", "--config", `bench-synthetic:count=${n}`] })),
];

function once(args: string[]): { ms: number; summary: string } {
    const start = process.hrtime.bigint();
    const r = childProcess.spawnSync(process.execPath, [require.resolve("ts-node/dist/bin"), "--transpile-only", "engine/cli.ts", ...args, "--out", os.devNull], { cwd: ROOT, encoding: "utf8" });
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    if (r.status !== 0) throw new Error(`${args.join(" ")} failed: ${r.stderr}`);
    return { ms, summary: (/^Resources: .*$/m.exec(r.stdout) ?? [""])[0] };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const rows: string[] = [];
let floor = 0;
for (const c of cases) {
    const runs = Array.from({ length: reps }, () => once(c.args));
    const ms = median(runs.map((r) => r.ms));
    if (!floor) floor = ms;
    rows.push(`| ${c.label} | ${runs[0].summary.replace(/^Resources: /, "")} | ${(ms / 1000).toFixed(2)} s | ${(ms / floor).toFixed(2)}x |`);
    console.error(`${c.label}: ${(ms / 1000).toFixed(2)} s`);
}
console.log(`Node ${process.version}, ${os.cpus().length} cores, median of ${reps} cold runs\n`);
console.log("| case | resources | wall time | vs floor |\n|---|---|---|---|");
console.log(rows.join("\n"));

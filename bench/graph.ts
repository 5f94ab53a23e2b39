// What `npm run graph` costs beyond the offline run it needs. Not a test;
// prints Markdown tables.
//
//   npm run bench:graph            (5 runs per case, median reported)
//   npm run bench:graph -- 3
//
// Two views:
// 1. Wall time of new processes, as a user runs them: `npm run offline` of
//    prod against `npm run graph` of prod (without the policy pack) in each
//    format, alternating within each repetition so drift on a shared machine
//    hits all alike. Beyond the offline run = graph minus offline.
// 2. Inside one process, after the offline run: each phase the graph adds
//    (reading the state, the model, ELK's layout, each renderer), the first
//    call (cold: ELK's script is loaded then) and the median of the rest.
// The policy pack's share (its own process, started beside the offline run)
// is measured once per repetition as well, and reported apart.
import * as childProcess from "child_process";
import * as os from "os";
import * as path from "path";
import { CommandHelp, exitWhenFlushed, helpText, wantsHelp } from "../engine/command";
import { runProgram } from "../engine/run";
import { publicView } from "../tools/graph/exportView";
import { renderHtml } from "../tools/graph/html";
import { buildScene, layoutScene } from "../tools/graph/layout";
import { renderMermaid } from "../tools/graph/mermaid";
import { buildTrustGraph } from "../tools/graph/model";
import { renderSvgDocument } from "../tools/graph/svg";

const ROOT = path.resolve(__dirname, "..");
const NOW = "2026-01-01T00:00:00Z";

export const HELP: CommandHelp = {
    usage: "usage: npm run bench:graph [-- <runs per case>]   (default 5)",
    summary:
        "What npm run graph of prod costs beyond the offline run it needs: wall time of new processes (offline against\n" +
        "graph in each format, alternating), and the graph's phases inside one process. Markdown on stdout, progress on\n" +
        "stderr. Not a test: nothing is asserted.",
    flags: [["<runs per case>", "a whole number from 1 to 99; the median is reported"]],
    examples: ["npm run bench:graph", "npm run bench:graph -- 3"],
};

function parseReps(argv: string[]): number {
    if (argv.length > 1 || (argv.length === 1 && !/^[1-9][0-9]?$/.test(argv[0]))) {
        process.stderr.write(`expected at most one argument, the runs per case (1 to 99), got ${argv.map((a) => JSON.stringify(a)).join(" ")}\n${HELP.usage}\n`);
        process.exit(2);
    }
    return Number(argv[0] ?? 5);
}

interface Case {
    readonly label: string;
    readonly script: string;
    readonly args: string[];
}

const CASES: Case[] = [
    { label: "npm run offline -- --stack prod (the run the graph needs)", script: "engine/cli.ts", args: ["--stack", "prod", "--show-secrets", "--out", os.devNull] },
    ...(["json", "mermaid", "svg", "html"] as const).map((f) => ({ label: `npm run graph -- --stack prod --no-findings --format ${f}`, script: "tools/graph.ts", args: ["--stack", "prod", "--no-findings", "--now", NOW, "--format", f, "--out", os.devNull] })),
    { label: "npm run graph -- --stack prod --format json (with the policy pack)", script: "tools/graph.ts", args: ["--stack", "prod", "--now", NOW, "--format", "json", "--out", os.devNull] },
    { label: "npm run graph -- --stack prod --format html (with the policy pack)", script: "tools/graph.ts", args: ["--stack", "prod", "--now", NOW, "--format", "html", "--out", os.devNull] },
];

function once(c: Case): number {
    const start = process.hrtime.bigint();
    const r = childProcess.spawnSync(process.execPath, [require.resolve("ts-node/dist/bin"), "--transpile-only", c.script, ...c.args], { cwd: ROOT, encoding: "utf8" });
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    if (r.status !== 0) throw new Error(`${c.label} failed: ${r.stderr}`);
    return ms;
}

const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

async function phases(reps: number): Promise<string[]> {
    const run = await runProgram({ stack: "prod", showSecrets: true, now: new Date(NOW) });
    const timings = new Map<string, number[]>();
    const time = async <T>(label: string, body: () => T | Promise<T>): Promise<T> => {
        const start = process.hrtime.bigint();
        const out = await body();
        timings.set(label, [...(timings.get(label) ?? []), Number(process.hrtime.bigint() - start) / 1e6]);
        return out;
    };
    for (let i = 0; i <= reps; i++) {
        const view = await time("read the state (secrets stripped)", () => publicView(run.export));
        const g = await time("build the model", () => buildTrustGraph(view, { now: new Date(NOW), basis: "planned", source: "Pulumi.prod.yaml" }));
        await time("render json", () => JSON.stringify(g, null, 2));
        const scene = buildScene(g);
        await time("render mermaid", () => renderMermaid(g, scene));
        const layout = await time("ELK layout", () => layoutScene(scene));
        await time("render svg", () => renderSvgDocument(g, scene, layout));
        await time("render html", () => renderHtml(g, scene, layout));
    }
    return [...timings.entries()].map(([label, ms]) => `| ${label} | ${ms[0].toFixed(1)} ms | ${median(ms.slice(1)).toFixed(1)} ms |`);
}

async function main(reps: number): Promise<void> {
    const runs: number[][] = CASES.map(() => []);
    for (let i = 0; i < reps; i++) {
        CASES.forEach((c, j) => {
            const ms = once(c);
            runs[j].push(ms);
            process.stderr.write(`run ${i + 1}/${reps} ${c.label}: ${seconds(ms)}\n`);
        });
    }
    const offline = median(runs[0]);
    const load = os.loadavg().map((x) => x.toFixed(2)).join(", ");
    console.log(`Node ${process.version}, ${os.cpus().length} cores, load average at the end ${load}; median of ${reps} runs, cases alternating\n`);
    console.log("| command | wall time | beyond the offline run |\n|---|---|---|");
    CASES.forEach((c, j) => {
        const ms = median(runs[j]);
        console.log(`| ${c.label} | ${seconds(ms)} | ${j === 0 ? "-" : seconds(ms - offline)} |`);
    });
    console.log(`\nInside one process, after the offline run of prod (first call, then the median of ${reps}):\n`);
    console.log("| phase | first | median |\n|---|---|---|");
    console.log((await phases(reps)).join("\n"));
}

if (wantsHelp(process.argv.slice(2))) {
    process.stdout.write(helpText(HELP) + "\n");
    exitWhenFlushed(0);
} else {
    main(parseReps(process.argv.slice(2))).then(
        () => exitWhenFlushed(0),
        (e: Error) => {
            process.stderr.write(`${e.message}\n`);
            exitWhenFlushed(2);
        },
    );
}

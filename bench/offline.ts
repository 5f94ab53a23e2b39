// Cold wall time of `npm run offline`: every measurement is a new Node process,
// as a user's run is. Not a test; prints a Markdown table.
//
//   npm run bench            (3 runs per case, median reported)
//   npm run bench -- 5       (5 runs per case)
//
// The cases run in turn within each repetition (floor, dev, ..., floor, dev,
// ...), so drift on a shared machine hits all of them alike.
import * as childProcess from "child_process";
import * as os from "os";
import * as path from "path";
import { CommandHelp, exitWhenFlushed, helpText, wantsHelp } from "../engine/command";

const ROOT = path.resolve(__dirname, "..");

export const HELP: CommandHelp = {
    usage: "usage: npm run bench [-- <runs per case>]   (default 3)",
    summary:
        "Cold wall time of npm run offline: each measurement is a new node process. Prints a Markdown table on\n" +
        "stdout (progress on stderr). Not a test: nothing is asserted. Takes about a minute per run per case.",
    flags: [["<runs per case>", "a whole number from 1 to 99; the median is reported"]],
    examples: ["npm run bench", "npm run bench -- 5"],
};

function parseReps(argv: string[]): number {
    if (argv.length > 1 || (argv.length === 1 && !/^[1-9][0-9]?$/.test(argv[0]))) {
        process.stderr.write(`expected at most one argument, the runs per case (1 to 99), got ${argv.map((a) => JSON.stringify(a)).join(" ")}\n${HELP.usage}\n`);
        process.exit(2);
    }
    return Number(argv[0] ?? 3);
}

const reps = wantsHelp(process.argv.slice(2)) ? 0 : parseReps(process.argv.slice(2));
if (!reps) {
    process.stdout.write(helpText(HELP) + "\n");
    exitWhenFlushed(0);
}

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
    // Exports are encrypted, as a user's are: the bench chooses a passphrase unless one is set.
    const env = { ...process.env };
    if (env.PULUMI_CONFIG_PASSPHRASE === undefined && env.PULUMI_CONFIG_PASSPHRASE_FILE === undefined) env.PULUMI_CONFIG_PASSPHRASE = "bench";
    const r = childProcess.spawnSync(process.execPath, [require.resolve("ts-node/dist/bin"), "--transpile-only", "engine/cli.ts", ...args, "--out", os.devNull], { cwd: ROOT, encoding: "utf8", env });
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    if (r.status !== 0) throw new Error(`${args.join(" ")} failed: ${r.stderr}`);
    return { ms, summary: (/^Resources: .*$/m.exec(r.stderr) ?? [""])[0] };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function main(): void {
    const runs: { ms: number; summary: string }[][] = cases.map(() => []);
    for (let i = 0; i < reps; i++) {
        cases.forEach((c, j) => {
            const r = once(c.args);
            runs[j].push(r);
            console.error(`run ${i + 1}/${reps} ${c.label}: ${(r.ms / 1000).toFixed(2)} s`);
        });
    }
    const floor = median(runs[0].map((r) => r.ms));
    const rows = cases.map((c, j) => {
        const ms = median(runs[j].map((r) => r.ms));
        return `| ${c.label} | ${runs[j][0].summary.replace(/^Resources: /, "")} | ${(ms / 1000).toFixed(2)} s | ${(ms / floor).toFixed(2)}x |`;
    });
    console.log(`Node ${process.version}, ${os.cpus().length} cores, median of ${reps} cold runs, cases alternating\n`);
    console.log("| case | resources | wall time | vs floor |\n|---|---|---|---|");
    console.log(rows.join("\n"));
}

if (reps) main();

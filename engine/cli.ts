// npm run offline -- --stack <name> [--out <file>] [--show-secrets] [--state <previous export>] [--config key=value]... [--project <dir>]
import * as fs from "fs";
import * as path from "path";
import { runCommand } from "./command";
import { parseFlags } from "./flags";
import { StackExport, runProgram, summarize } from "./run";

interface Args {
    stack?: string;
    out?: string;
    state?: string;
    project?: string;
    showSecrets: boolean;
    config: Record<string, string>;
}

const USAGE = "usage: npm run offline -- --stack <name> [--out <file>] [--show-secrets] [--state <export.json>] [--config <project:key>=<value>]... [--project <dir with Pulumi.yaml>]";

export function parseArgs(argv: string[]): Args {
    const f = parseFlags(argv, { values: ["stack", "out", "state", "project"], switches: ["show-secrets"], pairs: ["config"] }, USAGE);
    if (!f.values.stack) throw new Error(`--stack is required\n${USAGE}`);
    return { ...f.values, showSecrets: f.switches.has("show-secrets"), config: f.pairs.config };
}

async function main(args: Args): Promise<number> {
    const previous = args.state ? (JSON.parse(fs.readFileSync(args.state, "utf8")) as StackExport) : undefined;
    const result = await runProgram({ stack: args.stack!, projectDir: args.project ? path.resolve(args.project) : undefined, previous, showSecrets: args.showSecrets, config: args.config });
    if (previous) {
        for (const step of result.plan) if (step.op !== "same") console.log(`  ${step.op.padEnd(8)} ${step.type}  ${step.urn.split("::").pop()}`);
    }
    const counts = summarize(result.plan);
    const parts = Object.entries(counts).filter(([, n]) => n > 0).map(([op, n]) => `${n} to ${op}`);
    console.log(`Resources: ${parts.join(", ")} (${result.plan.length} in stack ${args.stack})`);
    const text = JSON.stringify(result.export, null, 2) + "\n";
    if (args.out) {
        fs.mkdirSync(path.dirname(path.resolve(args.out)), { recursive: true });
        fs.writeFileSync(args.out, text);
        console.log(`wrote ${args.out}`);
    } else {
        process.stdout.write(text);
    }
    return 0;
}

if (require.main === module) runCommand(parseArgs, main, 1);

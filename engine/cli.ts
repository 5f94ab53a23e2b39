// npm run offline -- --stack <name> [--out <file>] [--show-secrets] [--state <previous export>] [--config key=value]... [--project <dir>]
import * as fs from "fs";
import * as path from "path";
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
    const args: Args = { showSecrets: false, config: {} };
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        const value = () => {
            const v = argv[++i];
            if (v === undefined || v.startsWith("--")) throw new Error(`${a} needs a value\n${USAGE}`);
            return v;
        };
        if (a === "--stack") args.stack = value();
        else if (a === "--out") args.out = value();
        else if (a === "--state") args.state = value();
        else if (a === "--project") args.project = value();
        else if (a === "--show-secrets") args.showSecrets = true;
        else if (a === "--config") {
            const kv = value();
            const eq = kv.indexOf("=");
            if (eq < 1) throw new Error(`--config takes <key>=<value>, got ${JSON.stringify(kv)}`);
            args.config[kv.slice(0, eq)] = kv.slice(eq + 1);
        } else throw new Error(`unknown argument ${JSON.stringify(a)}\n${USAGE}`);
    }
    if (!args.stack) throw new Error(`--stack is required\n${USAGE}`);
    return args;
}

async function main(): Promise<number> {
    let args: Args;
    try {
        args = parseArgs(process.argv.slice(2));
    } catch (e) {
        console.error((e as Error).message);
        return 2;
    }
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

if (require.main === module) {
    main().then(
        (code) => process.exit(code),
        (err: Error) => {
            console.error(err.message);
            process.exit(1);
        },
    );
}

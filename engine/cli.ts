// npm run offline -- --stack <name> [--out <file>] [--show-secrets] [--state <previous export>] [--config|--config-file|--secret-file|--secret-env <key>=...]... [--project <dir>]
//
// stdout carries the export (when there is no --out) and nothing else; the
// plan, the summary and progress go to stderr.
// First: every module loaded after it is transpiled once, not on every run.
import "./transpileCache";
import * as path from "path";
import { CommandHelp, EXIT_OK, progress, runCommand, withProgramOutputOnStderr } from "./command";
import { CONFIG_FLAG_HELP, CONFIG_PAIR_FLAGS, readConfigInputs } from "./configInputs";
import { assertWritable, exportStack, readExportFile, writePrivateFile } from "./files";
import { UsageError, parseFlags } from "./flags";
import { StackExport, priorResources, runProgram, summarize } from "./run";
import { assertExportSecretsReadable, passphraseFromEnv } from "./secrets";

interface Args {
    stack: string;
    out?: string;
    state?: string;
    project?: string;
    showSecrets: boolean;
    config: Record<string, string>;
    secretConfigKeys: string[];
}

const USAGE = "usage: npm run offline -- --stack <name> [--out <file>] [--show-secrets] [--state <export.json>] [--config|--config-file|--secret-file|--secret-env <key>=...]... [--project <dir>]";

export const HELP: CommandHelp = {
    usage: USAGE,
    summary:
        "Runs the program (index.ts) for a stack under the offline engine, with no Pulumi CLI and no cluster, and writes\n" +
        "what `pulumi stack export` would hold after `pulumi up`. Secrets are encrypted under PULUMI_CONFIG_PASSPHRASE\n" +
        "(or PULUMI_CONFIG_PASSPHRASE_FILE), which must be set; files are written readable by their owner only (0600).",
    flags: [
        ["--stack <name>", "the stack (Pulumi.<name>.yaml); required"],
        ["--out <file>", "write the export there (default: stdout; the plan and summary always go to stderr)"],
        ["--show-secrets", "secrets in plain text inside their envelopes (warned about; no passphrase needed)"],
        ["--state <export.json>", "an earlier export: unchanged resources keep their outputs, and the plan is printed"],
        ...CONFIG_FLAG_HELP,
        ["--project <dir>", "the folder holding Pulumi.yaml (default: this project)"],
    ],
    examples: [
        "PULUMI_CONFIG_PASSPHRASE_FILE=~/.pulumi-pass npm run offline -- --stack dev --out out/dev.json",
        "npm run offline -- --stack dev --state out/dev.json --out out/dev-next.json --config clientAuth=need",
        "npm run offline -- --stack prod --config-file caCertPem=ca.crt --secret-file caKeyPem=ca.key --show-secrets --out out/prod.json",
    ],
};

export function parseArgs(argv: string[]): Args {
    const f = parseFlags(argv, { values: ["stack", "out", "state", "project"], switches: ["show-secrets"], pairs: [...CONFIG_PAIR_FLAGS] }, USAGE);
    if (!f.values.stack) throw new UsageError(`--stack is required\n${USAGE}`);
    const { values, secretKeys } = readConfigInputs(f.pairs);
    return { stack: f.values.stack, out: f.values.out, state: f.values.state, project: f.values.project, showSecrets: f.switches.has("show-secrets"), config: values, secretConfigKeys: secretKeys };
}

/**
 * The previous state, checked before the run with every problem naming its
 * file: secrets it cannot decrypt (a wrong or missing passphrase, another
 * secrets provider's). An export of another stack is warned about: its URNs
 * are that stack's, so the plan would delete every resource it holds.
 */
function readPreviousState(file: string, stack: string): StackExport {
    const previous = readExportFile(file);
    assertExportSecretsReadable(previous, file);
    try {
        priorResources(previous);
    } catch (e) {
        throw new Error(`${file}: ${(e as Error).message.replace(/^previous state: /, "")}`);
    }
    const of = exportStack(previous);
    if (of.stack !== stack) {
        progress(
            `warning: ${file} is an export of stack ${of.stack}, not ${stack}: its URNs name ${of.stack}, so the plan deletes all ${previous.deployment.resources.length} of its resources ` +
                `and creates ${stack}'s afresh; give --state an export of ${stack}, or none`,
        );
    }
    return previous;
}

async function main(args: Args): Promise<number> {
    // Refuse before the run, not after it: encrypting needs a passphrase someone chose.
    if (!args.showSecrets) passphraseFromEnv();
    else progress(`warning: --show-secrets: private keys and passwords are written in plain text to ${args.out ?? "stdout"}${args.out ? " (mode 0600)" : ""}; keep it out of git and logs`);
    // A target that cannot be written is refused before the run, not after it.
    if (args.out) assertWritable(args.out);
    const previous: StackExport | undefined = args.state ? readPreviousState(args.state, args.stack) : undefined;
    const result = await withProgramOutputOnStderr(() => runProgram({
        stack: args.stack,
        projectDir: args.project ? path.resolve(args.project) : undefined,
        previous,
        showSecrets: args.showSecrets,
        config: args.config,
        secretConfigKeys: args.secretConfigKeys,
        progress,
    }));
    if (previous) {
        for (const step of result.plan) if (step.op !== "same") progress(`  ${step.op.padEnd(8)} ${step.type}  ${step.urn.split("::").pop()}${step.retained ? "  (retained: left in the cluster)" : ""}`);
    }
    const counts = summarize(result.plan);
    const parts = Object.entries(counts).filter(([, n]) => n > 0).map(([op, n]) => `${n} to ${op}`);
    // The stack's size after the update: what the export holds (deleted resources are not in it).
    progress(`Resources: ${parts.join(", ")} (${result.export.deployment.resources.length} in stack ${args.stack})`);
    const text = JSON.stringify(result.export, null, 2) + "\n";
    if (args.out) {
        writePrivateFile(args.out, text);
        progress(`wrote ${args.out}`);
    } else {
        process.stdout.write(text);
    }
    return EXIT_OK;
}

if (require.main === module) runCommand(HELP, parseArgs, main);

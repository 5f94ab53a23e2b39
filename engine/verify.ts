// npm run verify -- --stack <name> [--config|--config-file|--secret-file|--secret-env <key>=...]... [--policy-config <file>] [--tag <key>=<value>]...
// npm run verify -- --state <export.json> [--policy-config <file>] [--tag <key>=<value>]...
//
// The offline policy check: runs the program under the offline engine (or
// reads an export: the offline engine's, or a real `pulumi stack export`),
// validates every Kubernetes object against its schema, evaluates the policy
// pack exactly as `pulumi preview --policy-pack policies --policy-pack-config
// <file>` would, prints a table, and exits 1 on any mandatory violation.
import "./transpileCache";
import * as fs from "fs";
import * as path from "path";
import { UsageError, parseFlags } from "./flags";
import { loadProject, loadStackConfig } from "./project";
import { CheckResult, checkState, formatFindings, mandatoryCount } from "./policyCheck";
import { parsePolicyConfigFile, reconcilePolicyConfig, unknownPolicies } from "./policyConfig";
import { PolicyConfig, PolicyPackHost } from "./policyHost";
import { PROJECT_ROOT, policyConfigFor } from "./paths";
import { StackExport, runProgram } from "./run";
import { CommandHelp, progress, runCommand, withPolicyPack, withProgramOutputOnStderr } from "./command";
import { CONFIG_FLAG_HELP, CONFIG_PAIR_FLAGS, readConfigInputs } from "./configInputs";
import { exportStack, parseJsonFile, readExportFile, readInputFile } from "./files";
import { assertExportSecretsReadable } from "./secrets";

export { POLICY_PACK_DIR, policyConfigFor } from "./paths";

const USAGE = "usage: npm run verify -- (--stack <name> [--config|--config-file|--secret-file|--secret-env <key>=...]... | --state <export.json>) [--policy-config <file>] [--tag <key>=<value>]...";

export const HELP: CommandHelp = {
    usage: USAGE,
    summary:
        "The offline policy check: runs the stack under the offline engine (or reads an export), validates every\n" +
        "Kubernetes object against its schema, and runs the policy pack as `pulumi preview --policy-pack policies\n" +
        "--policy-pack-config <file>` would. Prints POLICY LEVEL RESOURCE MESSAGE on stdout, progress on stderr.",
    flags: [
        ["--stack <name>", "run the program for this stack (Pulumi.<name>.yaml)"],
        ...CONFIG_FLAG_HELP.map(([f, what]) => [f, `with --stack: ${what}`] as const),
        ["--state <export.json>", "check an export instead (npm run offline, or pulumi stack export [--show-secrets]); its secrets are decrypted with PULUMI_CONFIG_PASSPHRASE(_FILE)"],
        ["--policy-config <file>", "the policy config (default: policies/config/<stack>.json, the stack named by --stack or in the export)"],
        ["--tag <key>=<value>", "a stack tag the policies see (repeatable)"],
    ],
    examples: [
        "npm run verify -- --stack dev",
        "npm run verify -- --stack prod --config-file caCertPem=ca.crt --secret-file caKeyPem=ca.key",
        "npm run verify -- --state prod-export.json",
    ],
    exit1: "a mandatory policy violation (the table lists it)",
};

export interface VerifyArgs {
    readonly stack?: string;
    readonly state?: string;
    readonly policyConfig?: string;
    readonly tags: Record<string, string>;
    /** With --stack: config values over the stack file's, as `pulumi config set` would set them (secure values included). */
    readonly config?: Record<string, string>;
    /** Which of `config` are secrets (--secret-file, --secret-env). */
    readonly secretConfigKeys?: readonly string[];
}

export function parseVerifyArgs(argv: string[]): VerifyArgs {
    const f = parseFlags(argv, { values: ["stack", "state", "policy-config"], pairs: ["tag", ...CONFIG_PAIR_FLAGS] }, USAGE);
    const { stack, state, "policy-config": policyConfig } = f.values;
    if (!stack === !state) throw new UsageError(`give exactly one of --stack and --state\n${USAGE}`);
    const given = CONFIG_PAIR_FLAGS.filter((p) => Object.keys(f.pairs[p]).length > 0);
    if (state && given.length) throw new UsageError(`--${given[0]} goes with --stack (an export is not re-run)\n${USAGE}`);
    const inputs = stack ? readConfigInputs(f.pairs) : undefined;
    return {
        ...(stack ? { stack, config: inputs!.values, ...(inputs!.secretKeys.length ? { secretConfigKeys: inputs!.secretKeys } : {}) } : { state }),
        ...(policyConfig ? { policyConfig } : {}),
        tags: f.pairs.tag,
    };
}

export interface VerifyOutcome {
    readonly result: CheckResult;
    readonly policyConfig?: string;
    readonly report: string;
    readonly exitCode: 0 | 1;
}

/** A policy config file, parsed; every problem names the file. */
export function readPolicyConfigFile(file: string): Record<string, PolicyConfig> {
    const text = readInputFile(file, "policy config");
    // An empty file is an empty config, as for the Pulumi CLI.
    if (text.trim() !== "") parseJsonFile(file, text, "policy config");
    try {
        return parsePolicyConfigFile(text);
    } catch (e) {
        throw new Error(`${file}: ${(e as Error).message}`);
    }
}

/** What the check judges, read and validated without the policy pack: a config error costs no pack start. */
export interface VerifyInput {
    readonly exp: StackExport;
    readonly stack: string;
    readonly project: string;
    readonly tags: Record<string, string>;
    readonly config: Record<string, string>;
    readonly secretKeys: string[];
    readonly policyConfig: string;
    readonly given: Record<string, PolicyConfig>;
}

/** The policy config a check uses (given, or the stack's own), read; every problem names the file, or the stack. */
function policyConfigOf(args: VerifyArgs, stack: string): { policyConfig: string; given: Record<string, PolicyConfig> } {
    // As with --stack, the stack's own policy config: for an export, the stack its URNs name.
    const policyConfig = args.policyConfig ?? policyConfigFor(stack);
    if (!fs.existsSync(policyConfig)) {
        throw new Error(
            args.policyConfig
                ? `${policyConfig}: cannot read the policy config: no such file`
                : `no policy config for stack ${stack}${args.state ? ` (named in ${args.state})` : ""}: create ${path.relative(process.cwd(), policyConfig)} (see policies/README.md), or give --policy-config`,
        );
    }
    return { policyConfig, given: readPolicyConfigFile(policyConfig) };
}

/**
 * Reads everything the check needs: the policy config, then the stack's
 * config and the program's run under the offline engine (or the export and
 * its secrets). Every input error surfaces here, before a policy pack starts.
 */
export async function readVerifyInput(args: VerifyArgs, say: (line: string) => void = () => undefined): Promise<VerifyInput> {
    if (args.stack) {
        const { policyConfig, given } = policyConfigOf(args, args.stack);
        const run = await runProgram({ stack: args.stack, showSecrets: true, config: args.config, secretConfigKeys: args.secretConfigKeys, progress: say });
        const project = loadProject(PROJECT_ROOT);
        const c = loadStackConfig(project, args.stack, args.config, args.secretConfigKeys);
        // The tags the engine sets on every stack of a Node.js project.
        const tags = { "pulumi:project": project.name, "pulumi:runtime": "nodejs", ...args.tags };
        return { exp: run.export, stack: args.stack, project: project.name, tags, config: c.values, secretKeys: c.secretKeys, policyConfig, given };
    }
    const exp = readExportFile(args.state!);
    assertExportSecretsReadable(exp, args.state!);
    const { stack, project } = exportStack(exp);
    return { exp, stack, project, tags: { ...args.tags }, config: {}, secretKeys: [], ...policyConfigOf(args, stack) };
}

/** Judges what readVerifyInput read, with a pack already started. */
export async function checkVerifyInput(input: VerifyInput, host: PolicyPackHost, say: (line: string) => void = () => undefined): Promise<VerifyOutcome> {
    const { exp, stack, policyConfig, given } = input;
    say(`checking ${exp.deployment.resources.length} resources of stack ${stack} against the policy pack and the Kubernetes schemas (${path.relative(process.cwd(), policyConfig)})`);
    const info = await host.info();
    const unknown = unknownPolicies(info, given);
    if (unknown.length) throw new Error(`${policyConfig}: no policy named ${unknown.map((n) => JSON.stringify(n)).join(", ")} in pack ${info.name} (policies: ${info.policies.map((p) => p.name).join(", ")})`);
    await host.configure(reconcilePolicyConfig(info, given, policyConfig));
    await host.configureStack({ stack, project: input.project, organization: "organization", dryRun: true, tags: input.tags, config: input.config, configSecretKeys: input.secretKeys });
    const result = await checkState(exp, host);
    const mandatory = mandatoryCount(result.findings);
    const lines = [
        `stack ${stack}: ${result.resources} resources, ${result.schemaChecked} Kubernetes objects schema-checked, policy pack ${info.name}@${info.version}, config ${path.relative(process.cwd(), policyConfig)}`,
        formatFindings(result.findings),
        ...(result.unreadableSecrets ? [`note: ${result.unreadableSecrets} secret value(s) could not be decrypted and were unknown to the policies; export with --show-secrets to check them`] : []),
        `${mandatory} mandatory, ${result.findings.length - mandatory} advisory`,
    ];
    return { result, policyConfig, report: lines.join("\n"), exitCode: mandatory > 0 ? 1 : 0 };
}

/** Runs the whole check with a host already started (tests share one); see `main` for the command line. */
export async function verify(args: VerifyArgs, host: PolicyPackHost, say: (line: string) => void = () => undefined): Promise<VerifyOutcome> {
    return checkVerifyInput(await readVerifyInput(args, say), host, say);
}

if (require.main === module) {
    runCommand(HELP, parseVerifyArgs, async (args) => {
        // The config, the files and the passphrase are refused before the policy pack takes its seconds to start.
        if (args.policyConfig) readPolicyConfigFile(args.policyConfig);
        const input = await withProgramOutputOnStderr(() => readVerifyInput(args, progress));
        return withPolicyPack(async (host) => {
            const outcome = await checkVerifyInput(input, host, progress);
            console.log(outcome.report);
            return outcome.exitCode;
        }, progress);
    });
}

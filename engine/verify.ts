// npm run verify -- --stack <name> [--config|--secret-file|--secret-env <key>=...]... [--policy-config <file>] [--tag <key>=<value>]...
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
import { CommandHelp, progress, runCommand, withPolicyPack } from "./command";
import { CONFIG_FLAG_HELP, CONFIG_PAIR_FLAGS, readConfigInputs } from "./configInputs";
import { parseJsonFile, readExportFile, readInputFile } from "./files";
import { SecretCrypter, isEnvelope } from "./secrets";

export { POLICY_PACK_DIR, policyConfigFor } from "./paths";

const USAGE = "usage: npm run verify -- (--stack <name> [--config|--secret-file|--secret-env <key>=...]... | --state <export.json>) [--policy-config <file>] [--tag <key>=<value>]...";

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
        "npm run verify -- --stack prod --secret-file caKeyPem=ca.key",
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

/** The stack and project a state belongs to, from its root stack resource's URN (`urn:pulumi:<stack>::<project>::...`). */
function stackOf(exp: StackExport): { stack: string; project: string } {
    const urn = exp.deployment.resources.find((r) => r.type === "pulumi:pulumi:Stack")?.urn ?? exp.deployment.resources[0]?.urn ?? "";
    const m = /^urn:pulumi:([^:]+)::([^:]+)::/.exec(urn);
    return { stack: m?.[1] ?? "unknown", project: m?.[2] ?? "unknown" };
}

/** The first secret of an export's own (offline engine) secrets provider, decrypted: a wrong or missing passphrase is refused before any check runs. */
function assertSecretsReadable(exp: StackExport, file: string): void {
    const p = exp.deployment.secrets_providers;
    if (p?.type !== "offline-passphrase") return;
    const find = (v: unknown): string | undefined => {
        if (isEnvelope(v)) return v.ciphertext;
        if (v && typeof v === "object") for (const x of Object.values(v)) {
            const c = find(x);
            if (c !== undefined) return c;
        }
        return undefined;
    };
    const ciphertext = find(exp.deployment.resources);
    if (ciphertext === undefined) return;
    try {
        SecretCrypter.fromProvider(p).decrypt(ciphertext);
    } catch (e) {
        throw new Error(`${file}: cannot decrypt the export's secrets: ${(e as Error).message.replace(/^cannot decrypt its secrets: /, "")}`);
    }
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

/** Runs the whole check with a host already started (tests share one); see `main` for the command line. */
export async function verify(args: VerifyArgs, host: PolicyPackHost, say: (line: string) => void = () => undefined): Promise<VerifyOutcome> {
    let exp: StackExport;
    const tags: Record<string, string> = {};
    let config: Record<string, string> = {};
    let secretKeys: string[] = [];
    let stackName: string;
    let projectName: string;
    if (args.stack) {
        const run = await runProgram({ stack: args.stack, showSecrets: true, config: args.config, secretConfigKeys: args.secretConfigKeys, progress: say });
        exp = run.export;
        // The tags the engine sets on every stack of a Node.js project.
        const project = loadProject(PROJECT_ROOT);
        tags["pulumi:project"] = project.name;
        tags["pulumi:runtime"] = "nodejs";
        const c = loadStackConfig(project, args.stack, args.config, args.secretConfigKeys);
        config = c.values;
        secretKeys = c.secretKeys;
        stackName = args.stack;
        projectName = project.name;
    } else {
        exp = readExportFile(args.state!);
        assertSecretsReadable(exp, args.state!);
        ({ stack: stackName, project: projectName } = stackOf(exp));
    }
    Object.assign(tags, args.tags);
    // As with --stack, the stack's own policy config: for an export, the stack its URNs name.
    const policyConfig = args.policyConfig ?? policyConfigFor(stackName);
    if (!fs.existsSync(policyConfig)) {
        throw new Error(
            args.policyConfig
                ? `${policyConfig}: cannot read the policy config: no such file`
                : `no policy config for stack ${stackName}${args.state ? ` (named in ${args.state})` : ""}: create ${path.relative(process.cwd(), policyConfig)} (see policies/README.md), or give --policy-config`,
        );
    }
    const given = readPolicyConfigFile(policyConfig);
    say(`checking ${exp.deployment.resources.length} resources of stack ${stackName} against the policy pack and the Kubernetes schemas (${path.relative(process.cwd(), policyConfig)})`);
    const info = await host.info();
    const unknown = unknownPolicies(info, given);
    if (unknown.length) throw new Error(`${policyConfig}: no policy named ${unknown.map((n) => JSON.stringify(n)).join(", ")} in pack ${info.name} (policies: ${info.policies.map((p) => p.name).join(", ")})`);
    await host.configure(reconcilePolicyConfig(info, given));
    await host.configureStack({ stack: stackName, project: projectName, organization: "organization", dryRun: true, tags, config, configSecretKeys: secretKeys });
    const result = await checkState(exp, host);
    const mandatory = mandatoryCount(result.findings);
    const lines = [
        `stack ${stackName}: ${result.resources} resources, ${result.schemaChecked} Kubernetes objects schema-checked, policy pack ${info.name}@${info.version}, config ${path.relative(process.cwd(), policyConfig)}`,
        formatFindings(result.findings),
        ...(result.unreadableSecrets ? [`note: ${result.unreadableSecrets} secret value(s) could not be decrypted and were unknown to the policies; export with --show-secrets to check them`] : []),
        `${mandatory} mandatory, ${result.findings.length - mandatory} advisory`,
    ];
    return { result, policyConfig, report: lines.join("\n"), exitCode: mandatory > 0 ? 1 : 0 };
}

if (require.main === module) {
    runCommand(HELP, parseVerifyArgs, (args) => {
        // Files that are wrong are refused before the policy pack takes its seconds to start.
        if (args.policyConfig) readPolicyConfigFile(args.policyConfig);
        if (args.state) assertSecretsReadable(readExportFile(args.state), args.state);
        return withPolicyPack(async (host) => {
            const outcome = await verify(args, host, progress);
            console.log(outcome.report);
            return outcome.exitCode;
        }, progress);
    });
}

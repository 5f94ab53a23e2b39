// npm run verify -- --stack <name> [--policy-config <file>] [--tag <key>=<value>]...
// npm run verify -- --state <export.json> [--policy-config <file>] [--tag <key>=<value>]...
//
// The offline policy check: runs the program under the offline engine (or
// reads an export: the offline engine's, or a real `pulumi stack export`),
// validates every Kubernetes object against its schema, evaluates the policy
// pack exactly as `pulumi preview --policy-pack policies --policy-pack-config
// <file>` would, prints a table, and exits 1 on any mandatory violation.
import * as fs from "fs";
import * as path from "path";
import { parseFlags } from "./flags";
import { loadProject, loadStackConfig } from "./project";
import { CheckResult, checkState, formatFindings, mandatoryCount } from "./policyCheck";
import { parsePolicyConfigFile, reconcilePolicyConfig, unknownPolicies } from "./policyConfig";
import { PolicyPackHost } from "./policyHost";
import { PROJECT_ROOT, policyConfigFor } from "./paths";
import { StackExport, runProgram } from "./run";
import { runCommand, withPolicyPack } from "./command";

export { POLICY_PACK_DIR, policyConfigFor } from "./paths";

const USAGE = "usage: npm run verify -- (--stack <name> [--config <project:key>=<value>]... | --state <export.json>) [--policy-config <file>] [--tag <key>=<value>]...";

export interface VerifyArgs {
    readonly stack?: string;
    readonly state?: string;
    readonly policyConfig?: string;
    readonly tags: Record<string, string>;
    /** With --stack: config values over the stack file's, as `pulumi config set` would set them (secure values included). */
    readonly config?: Record<string, string>;
}

export function parseVerifyArgs(argv: string[]): VerifyArgs {
    const f = parseFlags(argv, { values: ["stack", "state", "policy-config"], pairs: ["tag", "config"] }, USAGE);
    const { stack, state, "policy-config": policyConfig } = f.values;
    if (!stack === !state) throw new Error(`give exactly one of --stack and --state\n${USAGE}`);
    if (state && Object.keys(f.pairs.config).length) throw new Error(`--config goes with --stack (an export is not re-run)\n${USAGE}`);
    return { ...(stack ? { stack, config: f.pairs.config } : { state }), ...(policyConfig ? { policyConfig } : {}), tags: f.pairs.tag };
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

/** Runs the whole check with a host already started (tests share one); see `main` for the command line. */
export async function verify(args: VerifyArgs, host: PolicyPackHost): Promise<VerifyOutcome> {
    let exp: StackExport;
    const tags: Record<string, string> = {};
    let config: Record<string, string> = {};
    let secretKeys: string[] = [];
    if (args.stack) {
        const run = await runProgram({ stack: args.stack, showSecrets: true, config: args.config });
        exp = run.export;
        // The tags the engine sets on every stack of a Node.js project.
        const project = loadProject(PROJECT_ROOT);
        tags["pulumi:project"] = project.name;
        tags["pulumi:runtime"] = "nodejs";
        const c = loadStackConfig(project, args.stack, args.config);
        config = c.values;
        secretKeys = c.secretKeys;
    } else {
        exp = JSON.parse(fs.readFileSync(args.state!, "utf8")) as StackExport;
        if (exp.version !== 3 || !Array.isArray(exp.deployment?.resources)) throw new Error(`${args.state}: not a version 3 stack export`);
    }
    Object.assign(tags, args.tags);
    const policyConfig = args.policyConfig ?? (args.stack ? policyConfigFor(args.stack) : undefined);
    if (policyConfig && !fs.existsSync(policyConfig)) throw new Error(`no policy config ${policyConfig}${args.stack ? ` for stack ${args.stack}: create it (see policies/README.md)` : ""}`);
    const given = policyConfig ? parsePolicyConfigFile(fs.readFileSync(policyConfig, "utf8")) : {};
    const info = await host.info();
    const unknown = unknownPolicies(info, given);
    if (unknown.length) throw new Error(`${policyConfig}: no policy named ${unknown.map((n) => JSON.stringify(n)).join(", ")} in pack ${info.name} (policies: ${info.policies.map((p) => p.name).join(", ")})`);
    await host.configure(reconcilePolicyConfig(info, given));
    const { stack, project } = args.stack ? { stack: args.stack, project: tags["pulumi:project"] } : stackOf(exp);
    await host.configureStack({ stack, project, organization: "organization", dryRun: true, tags, config, configSecretKeys: secretKeys });
    const result = await checkState(exp, host);
    const mandatory = mandatoryCount(result.findings);
    const lines = [
        `stack ${stack}: ${result.resources} resources, ${result.schemaChecked} Kubernetes objects schema-checked, policy pack ${info.name}@${info.version}, config ${policyConfig ? path.relative(process.cwd(), policyConfig) : "(none: every policy at its own level)"}`,
        formatFindings(result.findings),
        ...(result.unreadableSecrets ? [`note: ${result.unreadableSecrets} secret value(s) could not be decrypted and were unknown to the policies; export with --show-secrets to check them`] : []),
        `${mandatory} mandatory, ${result.findings.length - mandatory} advisory`,
    ];
    return { result, policyConfig, report: lines.join("\n"), exitCode: mandatory > 0 ? 1 : 0 };
}

if (require.main === module) {
    runCommand(parseVerifyArgs, (args) =>
        withPolicyPack(async (host) => {
            const outcome = await verify(args, host);
            console.log(outcome.report);
            return outcome.exitCode;
        }),
    );
}

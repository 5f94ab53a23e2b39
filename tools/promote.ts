// npm run promote -- <from> <to> [--config <stack>:<project:key>=<value>]...
//
// The gate between two stacks (dev, then prod): shows how the target's config
// differs from the source's, and refuses the promotion when the source has
// not passed the offline policy check, when the target does not pass its own
// (for example clientAuth: want in prod), or when the target is weaker than
// the source on any knob the policies care about. It deploys nothing: on
// success it prints the command that does.
import * as fs from "fs";
import * as path from "path";
import { RawConfig, StackConfig, StackConfigError, parseStackConfig } from "../components/config";
import { CONFIG_NAMESPACE } from "../components/config/keys";
import { parseFlags } from "../engine/flags";
import { parsePolicyConfigFile, reconcilePolicyConfig } from "../engine/policyConfig";
import { runCommand, withPolicyPack } from "../engine/command";
import { PolicyPackHost } from "../engine/policyHost";
import { loadProject, loadStackConfig } from "../engine/project";
import { PROJECT_ROOT } from "../engine/run";
import { policyConfigFor, verify } from "../engine/verify";
import { Weakening, policyWeakenings, stackWeakenings } from "./strictness";

const USAGE = "usage: npm run promote -- <from-stack> <to-stack> [--config <stack>:<project:key>=<value>]...";

export interface PromoteArgs {
    readonly from: string;
    readonly to: string;
    /** Per stack, config values over its stack file (secure values the offline engine cannot decrypt). */
    readonly config: Record<string, Record<string, string>>;
}

export function parsePromoteArgs(argv: string[]): PromoteArgs {
    const stacks = argv.filter((a, i) => !a.startsWith("--") && argv[i - 1] !== "--config");
    const f = parseFlags(argv.filter((a) => !stacks.includes(a)), { pairs: ["config"] }, USAGE);
    if (stacks.length !== 2) throw new Error(`name the stack to promote from and the stack to promote to, e.g. dev prod\n${USAGE}`);
    const [from, to] = stacks;
    if (from === to) throw new Error(`promoting ${from} to itself means nothing\n${USAGE}`);
    const config: Record<string, Record<string, string>> = { [from]: {}, [to]: {} };
    for (const [key, value] of Object.entries(f.pairs.config)) {
        const colon = key.indexOf(":");
        const stack = key.slice(0, colon);
        if (colon < 1 || !(stack in config)) throw new Error(`--config takes <stack>:<project:key>=<value> with stack ${from} or ${to}, got ${JSON.stringify(key)}\n${USAGE}`);
        config[stack][key.slice(colon + 1)] = value;
    }
    return { from, to, config };
}

interface Loaded {
    readonly values: Record<string, string>;
    readonly secretKeys: string[];
    readonly config?: StackConfig;
    readonly problems: string[];
}

function load(stack: string, overrides: Record<string, string>): Loaded {
    const project = loadProject(PROJECT_ROOT);
    try {
        const { values, secretKeys } = loadStackConfig(project, stack, overrides);
        const raw: RawConfig = Object.fromEntries(Object.entries(values).filter(([k]) => k.startsWith(`${CONFIG_NAMESPACE}:`)));
        try {
            return { values, secretKeys, config: parseStackConfig(raw), problems: [] };
        } catch (e) {
            if (e instanceof StackConfigError) return { values, secretKeys, problems: [...e.problems] };
            throw e;
        }
    } catch (e) {
        return { values: {}, secretKeys: [], problems: [(e as Error).message] };
    }
}

/** Keys whose effective values differ, as table rows (secret values never shown). */
export function configDifferences(from: Loaded, to: Loaded): [string, string, string][] {
    const keys = [...new Set([...Object.keys(from.values), ...Object.keys(to.values)])].sort();
    const shown = (l: Loaded, k: string) => (!(k in l.values) ? "(unset)" : l.secretKeys.includes(k) ? "[secret]" : l.values[k]);
    return keys.filter((k) => from.values[k] !== to.values[k]).map((k) => [k, shown(from, k), shown(to, k)]);
}

function table(rows: string[][]): string[] {
    const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
    return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join("  "));
}

export interface PromoteOutcome {
    readonly exitCode: 0 | 1;
    readonly report: string;
    readonly refusals: string[];
}

export async function promote(args: PromoteArgs, host: PolicyPackHost): Promise<PromoteOutcome> {
    const { from, to } = args;
    const lines = [`Promoting ${from} -> ${to}`, ""];
    const refusals: string[] = [];
    for (const stack of [from, to]) {
        if (!fs.existsSync(path.join(PROJECT_ROOT, `Pulumi.${stack}.yaml`))) throw new Error(`no stack ${stack}: Pulumi.${stack}.yaml does not exist`);
        if (!fs.existsSync(policyConfigFor(stack))) throw new Error(`no policy config for stack ${stack}: create ${path.relative(PROJECT_ROOT, policyConfigFor(stack))}`);
    }
    const a = load(from, args.config[from]);
    const b = load(to, args.config[to]);

    const diff = configDifferences(a, b);
    lines.push(`How ${to}'s config differs from ${from}'s (Pulumi.yaml defaults applied):`);
    lines.push(...(diff.length ? table([["KEY", from.toUpperCase(), to.toUpperCase()], ...diff]).map((l) => `  ${l}`) : ["  (no differences)"]), "");

    for (const [stack, l] of [[from, a], [to, b]] as const) {
        for (const p of l.problems) refusals.push(`${stack}: invalid stack config: ${p}`);
    }

    // The knobs: stack settings the policies judge, and the policy configs themselves.
    const info = await host.info();
    const policy = (stack: string) => reconcilePolicyConfig(info, parsePolicyConfigFile(fs.readFileSync(policyConfigFor(stack), "utf8")));
    const weaker: Weakening[] = [...(a.config && b.config ? stackWeakenings(a.config, b.config) : []), ...policyWeakenings(policy(from), policy(to))];
    for (const w of weaker) refusals.push(`${to} is weaker than ${from} on ${w.knob}: ${from} ${w.from}, ${to} ${w.to}`);
    lines.push(weaker.length ? `${to} is weaker than ${from} on ${weaker.length} knob(s) the policies care about.` : `${to} is at least as strict as ${from} on every knob the policies care about.`);

    for (const stack of [from, to]) {
        if (!(stack === from ? a : b).config) continue;
        const outcome = await verify({ stack, config: args.config[stack], tags: {} }, host);
        const mandatory = outcome.result.findings.filter((f) => f.level === "mandatory");
        const advisory = outcome.result.findings.length - mandatory.length;
        lines.push(`npm run verify -- --stack ${stack}: ${mandatory.length ? "FAILED" : "passed"} (${mandatory.length} mandatory, ${advisory} advisory)`);
        if (mandatory.length) {
            const why = stack === from ? `${from} has not passed npm run verify` : `${to} is weaker than its policy config (${path.relative(PROJECT_ROOT, policyConfigFor(to))}) allows`;
            for (const f of mandatory) refusals.push(`${why}: ${f.policy}: ${f.message}`);
        }
    }
    lines.push("");
    if (refusals.length) {
        lines.push(`REFUSED: ${from} is not promoted to ${to}:`, ...refusals.map((r) => `  - ${r}`));
        return { exitCode: 1, report: lines.join("\n"), refusals };
    }
    lines.push(
        `Promotion allowed. Deploy ${to} from this commit with:`,
        `  pulumi up --stack ${to} --policy-pack policies --policy-pack-config ${path.relative(PROJECT_ROOT, policyConfigFor(to))}`,
    );
    return { exitCode: 0, report: lines.join("\n"), refusals };
}

if (require.main === module) {
    runCommand(parsePromoteArgs, (args) =>
        withPolicyPack(async (host) => {
            const outcome = await promote(args, host);
            console.log(outcome.report);
            return outcome.exitCode;
        }),
    );
}

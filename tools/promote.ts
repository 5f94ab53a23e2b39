// npm run promote -- <from> <to> [--config|--config-file|--secret-file|--secret-env <stack>:<key>=...]...
//
// The gate between two stacks (dev, then prod): shows how the target's config
// differs from the source's, and refuses the promotion when the source has
// not passed the offline policy check, when the target does not pass its own
// (for example clientAuth: want in prod), or when the target is weaker than
// the source on any knob the policies care about. It deploys nothing: on
// success it prints the command that does (`npm run render` for a stack in
// render mode). Exit 1: refused; exit 2: a stack's config is invalid, or
// arguments or files are wrong.
import "../engine/transpileCache";
import * as fs from "fs";
import * as path from "path";
import { RawConfig, StackConfig, StackConfigError, parseStackConfig } from "../components/config";
import { CONFIG_NAMESPACE } from "../components/config/keys";
import { UsageError, parseFlags } from "../engine/flags";
import { reconcilePolicyConfig } from "../engine/policyConfig";
import { CommandHelp, EXIT_ERROR, EXIT_NO, EXIT_OK, progress, runCommand, withPolicyPack, withProgramOutputOnStderr } from "../engine/command";
import { CONFIG_PAIR_FLAGS, readConfigInputs } from "../engine/configInputs";
import { PolicyPackHost } from "../engine/policyHost";
import { loadProject, readStackConfig } from "../engine/project";
import { PROJECT_ROOT } from "../engine/run";
import { policyConfigFor, readPolicyConfigFile, verify } from "../engine/verify";
import { rotationProgress } from "../components/pki/caRotation";
import { Weakening, policyWeakenings, stackWeakenings } from "./strictness";

const USAGE = "usage: npm run promote -- <from-stack> <to-stack> [--config|--config-file|--secret-file|--secret-env <stack>:<key>=...]...";

export const HELP: CommandHelp = {
    usage: USAGE,
    summary:
        "The gate between two stacks: shows how the target's config differs from the source's (secrets as [secret]),\n" +
        "runs npm run verify on both, compares the knobs the policies care about, and refuses a promotion that would\n" +
        "weaken anything. Deploys nothing: on success it prints the command that does.",
    flags: [
        ["<from-stack> <to-stack>", "the stack that passed (e.g. dev) and the one to promote to (e.g. prod)"],
        ["--config <stack>:<key>=<value>", "a config value over that stack's file (repeatable; the project prefix is optional)"],
        ["--secret-file <stack>:<key>=<path>", "a secret config value for that stack, read from a file"],
        ["--secret-env <stack>:<key>=<VAR>", "a secret config value for that stack, read from an environment variable"],
    ],
    examples: ["npm run promote -- dev prod", "npm run promote -- dev prod --config-file prod:caCertPem=ca.crt --secret-file prod:caKeyPem=ca.key", "npm run promote -- dev local"],
    exit1: "the promotion is refused (every reason listed)",
};

export interface PromoteArgs {
    readonly from: string;
    readonly to: string;
    /** Per stack, config values over its stack file (secure values the offline engine cannot decrypt). */
    readonly config: Record<string, Record<string, string>>;
    /** Per stack, which of its config values are secrets (--secret-file, --secret-env). */
    readonly secretConfigKeys?: Record<string, string[]>;
}

export function parsePromoteArgs(argv: string[]): PromoteArgs {
    const pairFlags = CONFIG_PAIR_FLAGS.map((p) => `--${p}`);
    const stacks = argv.filter((a, i) => !a.startsWith("--") && !pairFlags.includes(argv[i - 1]));
    const f = parseFlags(argv.filter((a) => !stacks.includes(a)), { pairs: [...CONFIG_PAIR_FLAGS] }, USAGE);
    if (stacks.length !== 2) throw new UsageError(`name the stack to promote from and the stack to promote to, e.g. dev prod\n${USAGE}`);
    const [from, to] = stacks;
    if (from === to) throw new UsageError(`promoting ${from} to itself means nothing\n${USAGE}`);
    for (const flag of CONFIG_PAIR_FLAGS) {
        for (const key of Object.keys(f.pairs[flag])) {
            const colon = key.indexOf(":");
            if (colon < 1 || ![from, to].includes(key.slice(0, colon))) throw new UsageError(`--${flag} takes <stack>:<key>=... with stack ${from} or ${to}, got ${JSON.stringify(key)}\n${USAGE}`);
        }
    }
    const inputs = readConfigInputs(f.pairs);
    const config: Record<string, Record<string, string>> = { [from]: {}, [to]: {} };
    const secretConfigKeys: Record<string, string[]> = { [from]: [], [to]: [] };
    for (const [key, value] of Object.entries(inputs.values)) {
        const colon = key.indexOf(":");
        const [stack, k] = [key.slice(0, colon), key.slice(colon + 1)];
        config[stack][k] = value;
        if (inputs.secretKeys.includes(key)) secretConfigKeys[stack].push(k);
    }
    return { from, to, config, ...(inputs.secretKeys.length ? { secretConfigKeys } : {}) };
}

interface Loaded {
    readonly values: Record<string, string>;
    readonly secretKeys: string[];
    readonly config?: StackConfig;
    readonly problems: string[];
    readonly warnings: string[];
}

/** A stack's config with every problem at once: the engine's (types, encrypted values) and the program's (values). */
function load(stack: string, overrides: Record<string, string>, secretOverrides: readonly string[] = []): Loaded {
    const project = loadProject(PROJECT_ROOT);
    const { values, secretKeys, problems, warnings } = readStackConfig(project, stack, overrides, secretOverrides);
    const raw: RawConfig = Object.fromEntries(Object.entries(values).filter(([k]) => k.startsWith(`${CONFIG_NAMESPACE}:`)));
    try {
        const config = parseStackConfig(raw);
        return problems.length ? { values, secretKeys, problems, warnings } : { values, secretKeys, config, problems, warnings };
    } catch (e) {
        if (!(e instanceof StackConfigError)) throw e;
        // The program's word on a key the engine already refused is the same fault, said twice.
        const reported = new Set(problems.map((p) => /\s([\w.-]+:[\w.-]+) is\b/.exec(p)?.[1]).filter(Boolean));
        return { values, secretKeys, warnings, problems: [...problems, ...e.problems.filter((p) => !reported.has(/^([\w.-]+:[\w.-]+) /.exec(p)?.[1]))] };
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
    /** 0 allowed, 1 refused, 2 a stack's config is invalid (refused too, but the input is what is wrong). */
    readonly exitCode: 0 | 1 | 2;
    readonly report: string;
    readonly refusals: string[];
}

/** The report's first line; the command prints it before the work starts. */
export const promoteHeading = (args: Pick<PromoteArgs, "from" | "to">): string => `Promoting ${args.from} -> ${args.to}`;

/** Both stacks have a stack file and a policy config; throws naming what is missing. */
export function checkStacksExist(args: Pick<PromoteArgs, "from" | "to">): void {
    for (const stack of [args.from, args.to]) {
        if (!fs.existsSync(path.join(PROJECT_ROOT, `Pulumi.${stack}.yaml`))) throw new Error(`no stack ${stack}: Pulumi.${stack}.yaml does not exist`);
        if (!fs.existsSync(policyConfigFor(stack))) throw new Error(`no policy config for stack ${stack}: create ${path.relative(PROJECT_ROOT, policyConfigFor(stack))}`);
    }
}

/** What the policy pack is not needed for: both stacks' config, how they differ, and a refusal when either is invalid. */
export interface PromotionInput {
    readonly from: Loaded;
    readonly to: Loaded;
    /** The report so far: the heading and the config differences. */
    readonly lines: string[];
    /** Set when a stack's config is invalid: the outcome, decided without the policy pack. */
    readonly invalid?: PromoteOutcome;
}

/** Reads both stacks' config and their policy configs; every input error surfaces here, before a policy pack starts. */
export function readPromotionInput(args: PromoteArgs, say: (line: string) => void = () => undefined): PromotionInput {
    const { from, to } = args;
    const lines = [promoteHeading(args), ""];
    checkStacksExist(args);
    say(`reading the config of ${from} and ${to}`);
    const a = load(from, args.config[from], args.secretConfigKeys?.[from]);
    const b = load(to, args.config[to], args.secretConfigKeys?.[to]);
    for (const [stack, l] of [[from, a], [to, b]] as const) for (const w of l.warnings) say(`${stack}: ${w}`);
    // Read now, so that a broken policy config is refused before the pack starts too.
    for (const stack of [from, to]) readPolicyConfigFile(policyConfigFor(stack));

    const diff = configDifferences(a, b);
    lines.push(`How ${to}'s config differs from ${from}'s (Pulumi.yaml defaults applied):`);
    lines.push(...(diff.length ? table([["KEY", from.toUpperCase(), to.toUpperCase()], ...diff]).map((l) => `  ${l}`) : ["  (no differences)"]), "");

    const refusals = [...a.problems.map((p) => `${from}: invalid stack config: ${p}`), ...b.problems.map((p) => `${to}: invalid stack config: ${p}`)];
    if (!refusals.length) return { from: a, to: b, lines };
    const report = [...lines, "The policy checks did not run: fix the stack config first.", "", `REFUSED: ${from} is not promoted to ${to}:`, ...refusals.map((r) => `  - ${r}`)];
    return { from: a, to: b, lines, invalid: { exitCode: EXIT_ERROR, report: report.join("\n"), refusals } };
}

export async function promote(args: PromoteArgs, host: PolicyPackHost, say: (line: string) => void = () => undefined): Promise<PromoteOutcome> {
    const input = readPromotionInput(args, say);
    return input.invalid ?? finishPromotion(args, input, host, say);
}

/**
 * The target's CA rotation may not run ahead of the source's: each phase is tried on the
 * stack before (dev) first. Judged from config (caGeneration, caRotation); npm run rotation
 * -- status says whether the source's cluster has converged on its phase.
 */
export function rotationAhead(from: string, to: string, a: Pick<StackConfig, "caGeneration" | "caRotation">, b: Pick<StackConfig, "caGeneration" | "caRotation">): string | undefined {
    if (rotationProgress(b.caGeneration, b.caRotation) <= rotationProgress(a.caGeneration, a.caRotation)) return undefined;
    return (
        `${to} would be at caRotation "${b.caRotation}" with caGeneration ${b.caGeneration}, a step ${from} has not taken: ${from} is at caRotation "${a.caRotation}" with caGeneration ${a.caGeneration}; ` +
        `take ${from} through each phase first (docs/ca-rotation.md)`
    );
}

/** The checks that need the policy pack, over configs readPromotionInput found valid. */
export async function finishPromotion(args: PromoteArgs, input: PromotionInput, host: PolicyPackHost, say: (line: string) => void = () => undefined): Promise<PromoteOutcome> {
    const { from, to } = args;
    const { from: a, to: b } = input;
    const lines = [...input.lines];
    const refusals: string[] = [];

    // The knobs: stack settings the policies judge, and the policy configs themselves.
    const info = await host.info();
    const policy = (stack: string) => reconcilePolicyConfig(info, readPolicyConfigFile(policyConfigFor(stack)), path.relative(PROJECT_ROOT, policyConfigFor(stack)));
    const weaker: Weakening[] = [...(a.config && b.config ? stackWeakenings(a.config, b.config) : []), ...policyWeakenings(policy(from), policy(to))];
    for (const w of weaker) refusals.push(`${to} is weaker than ${from} on ${w.knob}: ${from} ${w.from}, ${to} ${w.to}`);
    const ahead = a.config && b.config ? rotationAhead(from, to, a.config, b.config) : undefined;
    if (ahead) refusals.push(ahead);
    lines.push(weaker.length ? `${to} is weaker than ${from} on ${weaker.length} knob(s) the policies care about.` : `${to} is at least as strict as ${from} on every knob the policies care about.`);

    for (const stack of [from, to]) {
        if (!(stack === from ? a : b).config) continue;
        say(`npm run verify -- --stack ${stack}`);
        const outcome = await verify({ stack, config: args.config[stack], secretConfigKeys: args.secretConfigKeys?.[stack], tags: {} }, host, say);
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
        return { exitCode: EXIT_NO, report: lines.join("\n"), refusals };
    }
    // A stack in render mode writes manifests, not to a cluster: npm run render is how it is "deployed".
    const rendered = b.config?.kubernetes.renderYamlToDirectory !== undefined;
    lines.push(
        ...(rendered
            ? [`Promotion allowed. ${to} is in render mode (renderYamlToDirectory): render its manifests from this commit with:`, `  npm run render -- --stack ${to}`]
            : [
                  `Promotion allowed. Deploy ${to} from this commit with:`,
                  `  pulumi up --stack ${to} --refresh --policy-pack policies --policy-pack-config ${path.relative(PROJECT_ROOT, policyConfigFor(to))}`,
                  "--refresh compares with the cluster, not the recorded state: a field the program sets that someone else (kubectl apply, a GitOps tool)",
                  "changed stops the update with a conflict (patchForce takes it over); without it the conflict goes unseen and their value stays (docs/spinnaker.md).",
              ]),
    );
    return { exitCode: EXIT_OK, report: lines.join("\n"), refusals };
}

if (require.main === module) {
    runCommand(HELP, parsePromoteArgs, (args) => {
        // The heading first, so a user sees at once what is being promoted.
        const heading = promoteHeading(args);
        console.log(heading);
        // The config is read and refused before the policy pack takes its seconds to start.
        const input = readPromotionInput(args, progress);
        if (input.invalid) {
            console.log(input.invalid.report.slice(heading.length + 1));
            return input.invalid.exitCode;
        }
        return withPolicyPack(async (host) => {
            // Each stack's program runs here (npm run verify); what it prints is not the report.
            const outcome = await withProgramOutputOnStderr(() => finishPromotion(args, input, host, progress));
            console.log(outcome.report.slice(heading.length + 1));
            return outcome.exitCode;
        }, progress);
    });
}

// npm run graph -- (--stack <name> | --state <export.json>) [--against <stack|export.json>]
//                  [--format json|svg|mermaid|html] [--out <file>] [--now <time>] [--no-findings]
//
// The trust graph of a stack: who calls whom, on which port, presenting which
// certificate (or SPIFFE ID), trusting which CAs, through which mesh hop and
// at which client-auth level; every certificate with its dates and renewal
// point; the policy pack's findings attached where they apply. Planned from
// the offline engine's run of the stack config, or read from an export for
// real dates and fingerprints. With --against, what changed. docs/trust-graph.md
// documents the JSON and the pictures.
import "../engine/transpileCache";
import { earlyPolicyPack } from "./graph/earlyPolicyPack";
import * as fs from "fs";
import * as path from "path";
import { CommandHelp, EXIT_OK, progress, runCommand } from "../engine/command";
import { CONFIG_FLAG_HELP, CONFIG_PAIR_FLAGS, readConfigInputs } from "../engine/configInputs";
import { readExportFile, readInputFile, writePublicFile } from "../engine/files";
import { UsageError, parseFlags } from "../engine/flags";
import { checkState } from "../engine/policyCheck";
import { parsePolicyConfigFile, reconcilePolicyConfig, unknownPolicies } from "../engine/policyConfig";
import { PolicyConfig, PolicyPackHost } from "../engine/policyHost";
import { POLICY_PACK_DIR, PROJECT_ROOT, policyConfigFor } from "../engine/paths";
import { loadProject, loadStackConfig } from "../engine/project";
import { StackExport, runProgram } from "../engine/run";
import { SecretCrypter, isEnvelope } from "../engine/secrets";
import { diffGraphs } from "./graph/diff";
import { publicView } from "./graph/exportView";
import { PackFinding, attachFindings } from "./graph/findings";
import { renderHtml } from "./graph/html";
import { buildScene, layoutScene } from "./graph/layout";
import { renderMermaid } from "./graph/mermaid";
import { buildTrustGraph } from "./graph/model";
import { TrustGraph } from "./graph/schema";
import { renderSvgDocument } from "./graph/svg";

export const FORMATS = ["json", "svg", "mermaid", "html"] as const;
export type Format = (typeof FORMATS)[number];

const USAGE =
    "usage: npm run graph -- (--stack <name> [--config|--secret-file|--secret-env <key>=...]... | --state <export.json>) [--against <stack|export.json>] [--format json|svg|mermaid|html] [--out <file>] [--now <time>] [--no-findings] [--policy-config <file>]";

export const HELP: CommandHelp = {
    usage: USAGE,
    summary:
        "The trust graph of a stack: every call between its workloads (Spinnaker services, Redis, the ingress gateway) with\n" +
        "port, protocol, the identities each side presents, the CAs each side trusts, the mesh hop and the client-auth level;\n" +
        "every certificate with notBefore, notAfter and when it renews; the policy pack's findings attached to what they concern.\n" +
        "--stack draws what the stack config plans (offline engine); --state draws an export, with real dates and fingerprints.\n" +
        "The output depends on --now (default: the current time): give the same --now to get the same bytes.\n" +
        "stdout carries only the graph; progress goes to stderr. JSON schema and pictures: docs/trust-graph.md.",
    flags: [
        ["--stack <name>", "plan the graph from the stack config (Pulumi.<name>.yaml), run under the offline engine"],
        ...CONFIG_FLAG_HELP.map(([f, what]) => [f, `with --stack: ${what}`] as const),
        ["--state <export.json>", "draw an export instead (pulumi stack export, or npm run offline): real dates and fingerprints"],
        ["--against <stack|export.json>", "the diff against another stack (a name) or an export (an existing file): added, removed, weakened calls"],
        ["--format <format>", "json (default), svg, mermaid (for pull-request comments) or html (one self-contained interactive page)"],
        ["--out <file>", "write the graph there instead of stdout"],
        ["--now <time>", "the instant dates are judged against and planned certificates are issued at (ISO 8601, e.g. 2026-01-01 or 2026-01-01T00:00:00Z; default: now)"],
        ["--no-findings", "skip the policy pack (about a second more for prod): findings is then null"],
        ["--policy-config <file>", "the policy config for the findings (default: policies/config/<stack>.json)"],
    ],
    examples: [
        "npm run -s graph -- --stack prod --format html --out prod-trust.html",
        "npm run -s graph -- --stack prod --against dev --format mermaid",
        "npm run -s graph -- --state prod-export.json --format svg --out prod.svg",
        "npm run -s graph -- --stack dev --now 2026-01-01T00:00:00Z --no-findings > dev.json",
    ],
};

export interface GraphArgs {
    readonly stack?: string;
    readonly state?: string;
    readonly against?: string;
    readonly format: Format;
    readonly out?: string;
    readonly now: Date;
    readonly findings: boolean;
    readonly policyConfig?: string;
    readonly config?: Record<string, string>;
    readonly secretConfigKeys?: readonly string[];
}

const NOW_FORMAT = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2}))?$/;

/** --now as an instant, to the second (the tls provider's certificates carry whole seconds). */
export function parseNow(v: string | undefined, clock: () => Date = () => new Date()): Date {
    if (v === undefined) return new Date(Math.floor(clock().getTime() / 1000) * 1000);
    const t = NOW_FORMAT.test(v) ? Date.parse(v.length === 10 ? `${v}T00:00:00Z` : v) : NaN;
    if (Number.isNaN(t)) throw new UsageError(`--now takes an ISO 8601 time such as 2026-01-01 or 2026-01-01T00:00:00Z, got ${JSON.stringify(v)}\n${USAGE}`);
    return new Date(Math.floor(t / 1000) * 1000);
}

export function parseGraphArgs(argv: string[], clock?: () => Date): GraphArgs {
    const f = parseFlags(argv, { values: ["stack", "state", "against", "format", "out", "now", "policy-config"], switches: ["no-findings"], pairs: [...CONFIG_PAIR_FLAGS] }, USAGE);
    const { stack, state, against, out, now, "policy-config": policyConfig } = f.values;
    if (!stack === !state) throw new UsageError(`give exactly one of --stack and --state\n${USAGE}`);
    const format = (f.values.format ?? "json") as Format;
    if (!FORMATS.includes(format)) throw new UsageError(`--format takes ${FORMATS.join(", ")}, got ${JSON.stringify(f.values.format)}\n${USAGE}`);
    const given = CONFIG_PAIR_FLAGS.filter((p) => Object.keys(f.pairs[p]).length > 0);
    if (state && given.length) throw new UsageError(`--${given[0]} goes with --stack (an export is not re-run)\n${USAGE}`);
    if (f.switches.has("no-findings") && policyConfig) throw new UsageError(`--policy-config has no use with --no-findings\n${USAGE}`);
    const inputs = stack ? readConfigInputs(f.pairs) : undefined;
    return {
        ...(stack ? { stack, config: inputs!.values, ...(inputs!.secretKeys.length ? { secretConfigKeys: inputs!.secretKeys } : {}) } : { state }),
        ...(against ? { against } : {}),
        format,
        ...(out ? { out } : {}),
        now: parseNow(now, clock),
        findings: !f.switches.has("no-findings"),
        ...(policyConfig ? { policyConfig } : {}),
    };
}

interface Loaded {
    readonly exp: StackExport;
    readonly basis: "planned" | "state";
    readonly source: string;
    /** The stack's config as the pack sees it (--stack only). */
    readonly config: Record<string, string>;
    readonly secretKeys: string[];
    readonly extraTrustPem: string[];
}

/** A stack name or an export file: an existing file is an export. */
const isExportPath = (s: string): boolean => fs.existsSync(s) || s.endsWith(".json") || s.includes("/");

async function load(target: { stack?: string; state?: string; config?: Record<string, string>; secretConfigKeys?: readonly string[] }, now: Date): Promise<Loaded> {
    if (target.state) return { exp: readExportFile(target.state), basis: "state", source: path.basename(target.state), config: {}, secretKeys: [], extraTrustPem: [] };
    const stack = target.stack!;
    // Secrets stay in memory: the graph never holds them, and the pack needs them in plain text.
    const run = await runProgram({ stack, showSecrets: true, config: target.config, secretConfigKeys: target.secretConfigKeys, progress, now });
    const project = loadProject(PROJECT_ROOT);
    const c = loadStackConfig(project, stack, target.config, target.secretConfigKeys);
    const pems = ["jvmExtraCaCertsPem", "redisExternalCaCertPem"].map((k) => c.values[`${project.name}:${k}`]).filter((v): v is string => typeof v === "string" && v.includes("BEGIN CERTIFICATE"));
    return { exp: run.export, basis: "planned", source: `Pulumi.${stack}.yaml`, config: c.values, secretKeys: c.secretKeys, extraTrustPem: pems };
}

function readPolicyConfig(file: string): Record<string, PolicyConfig> {
    const text = readInputFile(file, "policy config");
    try {
        if (text.trim() !== "") JSON.parse(text);
        return parsePolicyConfigFile(text);
    } catch (e) {
        throw new Error(`${file}: ${(e as Error).message}`);
    }
}

async function findingsFor(loaded: Loaded, stack: string, project: string, host: PolicyPackHost, policyConfig: string, label: string): Promise<{ findings: PackFinding[]; note: string }> {
    const given = readPolicyConfig(policyConfig);
    const info = await host.info();
    const unknown = unknownPolicies(info, given);
    if (unknown.length) throw new Error(`${policyConfig}: no policy named ${unknown.map((n) => JSON.stringify(n)).join(", ")} in pack ${info.name}`);
    await host.configure(reconcilePolicyConfig(info, given));
    // The tags the engine sets on every stack of a Node.js project, as verify gives them.
    const tags: Record<string, string> = loaded.basis === "planned" ? { "pulumi:project": project, "pulumi:runtime": "nodejs" } : {};
    await host.configureStack({ stack, project, organization: "organization", dryRun: true, tags, config: loaded.config, configSecretKeys: loaded.secretKeys });
    progress(`checking ${loaded.exp.deployment.resources.length} resources of ${label} against the policy pack (${path.relative(process.cwd(), policyConfig) || policyConfig})`);
    const result = await checkState(loaded.exp, host);
    return { findings: result.findings, note: `policy pack ${info.name}@${info.version}, config ${path.relative(PROJECT_ROOT, path.resolve(policyConfig))}${result.unreadableSecrets ? `; ${result.unreadableSecrets} secret value(s) were unknown to the policies` : ""}` };
}

/**
 * The policies judge secrets too (key sizes, passwords), so an export with the
 * offline engine's encrypted secrets needs its passphrase for the findings:
 * refused before the pack starts, with the way around it.
 */
function assertFindingsReadable(exp: StackExport, file: string): void {
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
        throw new Error(`${file}: the policy pack needs the export's secrets, and they cannot be decrypted: ${(e as Error).message}. Set PULUMI_CONFIG_PASSPHRASE, or give --no-findings (the graph itself reads no secret)`);
    }
}

/** Renders a graph in a format: the bytes the command writes. */
export async function renderGraph(g: TrustGraph, format: Format): Promise<string> {
    if (format === "json") return `${JSON.stringify(g, null, 2)}\n`;
    const scene = buildScene(g);
    if (format === "mermaid") return renderMermaid(g, scene);
    const layout = await layoutScene(scene);
    return format === "svg" ? renderSvgDocument(g, scene, layout) : renderHtml(g, scene, layout);
}

export async function buildGraph(args: GraphArgs, host?: PolicyPackHost | Promise<PolicyPackHost>): Promise<TrustGraph> {
    const loaded = await load(args, args.now);
    const view = publicView(loaded.exp);
    let graph = buildTrustGraph(view, { now: args.now, basis: loaded.basis, source: loaded.source, extraTrustPem: loaded.extraTrustPem });
    if (host) {
        const policyConfig = args.policyConfig ?? policyConfigFor(view.stack);
        if (!fs.existsSync(policyConfig)) {
            throw new Error(args.policyConfig ? `${policyConfig}: cannot read the policy config: no such file` : `no policy config for stack ${view.stack}: create ${path.relative(process.cwd(), policyConfig)}, give --policy-config, or give --no-findings`);
        }
        const label = args.state ?? `stack ${args.stack}`;
        progress("waiting for the policy pack to start");
        const { findings, note } = await findingsFor(loaded, view.stack, view.project, await host, policyConfig, label);
        graph = { ...graph, findings: attachFindings(graph, findings), findingsNote: note };
    } else {
        graph = { ...graph, findingsNote: "not checked: --no-findings (run npm run verify for the policy pack's verdict)" };
    }
    if (args.against) {
        const other = isExportPath(args.against) ? { state: args.against } : { stack: args.against };
        if (other.state && !fs.existsSync(other.state)) readExportFile(other.state);
        const before = await load(other, args.now);
        const beforeGraph = buildTrustGraph(publicView(before.exp), { now: args.now, basis: before.basis, source: before.source, extraTrustPem: before.extraTrustPem });
        graph = { ...graph, diff: diffGraphs(graph, beforeGraph) };
    }
    return graph;
}

async function main(args: GraphArgs): Promise<number> {
    // stdout is the graph's alone: what the program logs while it runs (the SDK's
    // pulumi.log.info writes through console.log without an engine) goes to stderr.
    console.log = console.info = console.debug = (...xs: unknown[]) => process.stderr.write(`${xs.map(String).join(" ")}\n`);
    // Inputs that are wrong are refused before anything slow starts.
    if (args.state) {
        const exp = readExportFile(args.state);
        if (args.findings) assertFindingsReadable(exp, args.state);
    }
    if (args.policyConfig) readPolicyConfig(args.policyConfig);
    if (args.stack && args.findings && !args.policyConfig && !fs.existsSync(policyConfigFor(args.stack))) {
        throw new Error(`no policy config for stack ${args.stack}: create ${path.relative(process.cwd(), policyConfigFor(args.stack))}, give --policy-config, or give --no-findings`);
    }
    // The pack starts in its own process while the program runs in this one.
    // It may have started already, as this process loaded (graph/earlyPolicyPack.ts).
    let host: Promise<PolicyPackHost> | undefined;
    if (args.findings) {
        progress(`${earlyPolicyPack ? "started" : "starting"} the policy pack (policies/, type-checked by ts-node the first time the same sources start) for the findings; --no-findings skips it`);
        host = earlyPolicyPack ? PolicyPackHost.connect(earlyPolicyPack) : PolicyPackHost.start(POLICY_PACK_DIR);
        host.catch(() => undefined);
    } else earlyPolicyPack?.kill();
    try {
        const graph = await buildGraph(args, host);
        progress(`${graph.nodes.length} workloads, ${graph.edges.length} calls, ${graph.certificates.length} certificates${graph.findings ? `, ${graph.findings.length} finding(s)` : ""}${graph.diff ? `, ${graph.diff.edges.length} changed call(s) against ${graph.diff.against.name}` : ""}; rendering ${args.format}`);
        const text = await renderGraph(graph, args.format);
        if (args.out) {
            // Written whole beside the target and renamed over it (a reader never sees half a graph); a device or a pipe as is.
            writePublicFile(args.out, text);
            progress(`wrote ${args.out}`);
        } else process.stdout.write(text);
        return EXIT_OK;
    } finally {
        if (host) (await host.catch(() => undefined))?.close();
    }
}

if (require.main === module) runCommand(HELP, (argv) => parseGraphArgs(argv), main);

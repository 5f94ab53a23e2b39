// Runs the real program (index.ts) in-process for one stack, under the
// offline monitor, and returns what a `pulumi up` + `pulumi stack export`
// would: every resource with inputs and outputs, and a preview-style plan.
import "./transpileCache";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import * as settings from "@pulumi/pulumi/runtime/settings";
import { PROJECT_ROOT } from "./paths";
import { OFFLINE_ENGINE_ENV } from "../components/spinnakerMtls/offlineEngine";
import { OfflineMonitor, Operation, PriorResource, RecordedResource, isSecretMarker, secretMarker } from "./monitor";
import { loadProject, readStackConfig } from "./project";
import { Envelope, SECRET_SIG, SECRET_SIG_KEY, SecretCrypter, SecretsProviderState, isEnvelope } from "./secrets";

export interface ExportedResource {
    urn: string;
    custom: boolean;
    id?: string;
    type: string;
    inputs: Record<string, unknown>;
    outputs: Record<string, unknown>;
    parent?: string;
    provider?: string;
    dependencies?: string[];
    additionalSecretOutputs?: string[];
    retainOnDelete?: boolean;
}

export interface StackExport {
    version: 3;
    deployment: {
        manifest: { magic: string; version: string };
        secrets_providers?: SecretsProviderState;
        resources: ExportedResource[];
    };
}

export interface RunOptions {
    readonly stack: string;
    /** Folder holding Pulumi.yaml; the project root by default. */
    readonly projectDir?: string;
    /** Config keys (the project prefix optional) to values, as `pulumi config set` would set them. */
    readonly config?: Record<string, string>;
    /** Which of `config` are secrets (given with --secret-file or --secret-env). */
    readonly secretConfigKeys?: readonly string[];
    /** The passphrase for the export's secrets; by default read from the environment as the Pulumi CLI does, and only when needed. */
    readonly passphrase?: string;
    /** Told what the run is doing, a line per phase (the CLI prints them on stderr). */
    readonly progress?: (line: string) => void;
    /** A previous export: unchanged resources keep its outputs. */
    readonly previous?: StackExport;
    readonly now?: Date;
    /** Write secrets in plain text inside their envelopes. */
    readonly showSecrets?: boolean;
}

export interface PlanStep {
    readonly urn: string;
    readonly type: string;
    readonly op: Operation;
    /** A delete of a resource declared with retainOnDelete: it leaves the state, not the cluster. */
    readonly retained?: boolean;
}

export interface RunResult {
    readonly export: StackExport;
    /** Resources with secret markers intact, in export order. */
    readonly resources: RecordedResource[];
    readonly stackOutputs: Record<string, unknown>;
    readonly plan: PlanStep[];
}

// Internal runtime entry points the SDK's own setMocks uses; not in its typings.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const internalState = require("@pulumi/pulumi/runtime/state") as { getStore(): Record<string, unknown> };
// eslint-disable-next-line @typescript-eslint/no-require-imports
const internalSettings = require("@pulumi/pulumi/runtime/settings") as { waitForRPCs(): Promise<void> };

export { PROJECT_ROOT };

// --- converting between in-memory values and the export's envelopes -----------

function toExport(v: unknown, crypter: SecretCrypter, show: boolean): unknown {
    if (isSecretMarker(v)) {
        const plain = JSON.stringify(toExport(v.value, crypter, show));
        const env: Envelope = { [SECRET_SIG_KEY]: SECRET_SIG, ...(show ? { plaintext: plain } : { ciphertext: crypter.encrypt(plain) }) };
        return env;
    }
    if (Array.isArray(v)) return v.map((x) => toExport(x, crypter, show));
    if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).filter(([, x]) => x !== undefined).map(([k, x]) => [k, toExport(x, crypter, show)]));
    return v;
}

function fromExport(v: unknown, crypter: SecretCrypter | undefined): unknown {
    if (isEnvelope(v)) {
        let text = v.plaintext;
        if (text === undefined) {
            if (!crypter || v.ciphertext === undefined) throw new Error("previous state holds an encrypted secret but no secrets provider");
            text = crypter.decrypt(v.ciphertext);
        }
        return secretMarker(fromExport(JSON.parse(text), crypter));
    }
    if (Array.isArray(v)) return v.map((x) => fromExport(x, crypter));
    if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, fromExport(x, crypter)]));
    return v;
}

export function priorResources(previous: StackExport | undefined, passphrase?: string): { prior: Map<string, PriorResource>; crypter?: SecretCrypter } {
    const prior = new Map<string, PriorResource>();
    if (!previous) return { prior };
    if (previous.version !== 3 || !Array.isArray(previous.deployment?.resources)) throw new Error("previous state is not a version 3 stack export");
    const p = previous.deployment.secrets_providers;
    const crypter = p?.type === "offline-passphrase" ? SecretCrypter.fromProvider(p, passphrase) : undefined;
    try {
        for (const r of previous.deployment.resources) {
            prior.set(r.urn, {
                type: r.type,
                ...(r.retainOnDelete ? { retainOnDelete: true } : {}),
                id: r.id,
                inputs: fromExport(r.inputs ?? {}, crypter) as Record<string, unknown>,
                outputs: fromExport(r.outputs ?? {}, crypter) as Record<string, unknown>,
            });
        }
    } catch (e) {
        throw new Error(`previous state: ${(e as Error).message}`);
    }
    return { prior, crypter };
}

/** Parents and dependencies before dependents; otherwise by URN, so the order never depends on timing. */
function exportOrder(records: Map<string, RecordedResource>): RecordedResource[] {
    const out: RecordedResource[] = [];
    const seen = new Set<string>();
    const visit = (urn: string) => {
        const r = records.get(urn);
        if (!r || seen.has(urn)) return;
        seen.add(urn);
        if (r.parent) visit(r.parent);
        r.dependencies.forEach(visit);
        out.push(r);
    };
    [...records.keys()].sort().forEach(visit);
    return out;
}

// The program's modules are loaded fresh for each run; the Pulumi SDK and
// other packages stay loaded, as they hold the runtime's global state.
function forgetProgramModules(projectDir: string): void {
    for (const id of Object.keys(require.cache)) {
        if (id.startsWith(projectDir) && !id.includes(`${path.sep}node_modules${path.sep}`) && !id.startsWith(path.join(projectDir, "engine"))) {
            delete require.cache[id];
        }
    }
}

let running = false;

export async function runProgram(opts: RunOptions): Promise<RunResult> {
    if (running) throw new Error("runProgram: one run at a time (the Pulumi runtime is process-global)");
    running = true;
    try {
        return await runOnce(opts);
    } finally {
        running = false;
    }
}

/** A program's config error that lists its problems (the program's StackConfigError), read by shape: the program's modules are loaded afresh for each run. */
const problemsOf = (err: unknown): readonly string[] | undefined => {
    const p = (err as { problems?: unknown } | undefined)?.problems;
    return Array.isArray(p) && p.every((x) => typeof x === "string") ? p : undefined;
};

/**
 * The engine's config problems (types, encrypted values) and the program's
 * own (values), in one error: a user fixes everything in one pass. A program
 * problem about a key the engine already reported is the same fault, said
 * twice, and is left out.
 */
function configError(stackFile: string, engineProblems: readonly string[], programError: unknown): Error {
    const keyed = (p: string) => /(?:^|\s)([\w.-]+:[\w.-]+) (?:is|has|names|and)\b/.exec(p)?.[1];
    const engineKeys = new Set(engineProblems.map(keyed).filter((k): k is string => k !== undefined));
    const programProblems = problemsOf(programError) ?? (programError ? [(programError as Error).message ?? String(programError)] : []);
    const all = [...engineProblems, ...programProblems.filter((p) => !engineKeys.has(keyed(p) ?? ""))];
    return new Error(`Invalid stack configuration (${stackFile} and the command line):\n${all.map((p) => `  - ${p}`).join("\n")}`);
}

/**
 * Capturing a stack trace through ts-node's source-map support costs about a
 * millisecond, and the SDK captures one for every promise it makes
 * (debuggablePromise) and an unlimited one for every resource (its source
 * position, which only the real engine's diagnostics use). Those captures are
 * answered with an empty trace during a run; every other error keeps its
 * mapped stack.
 */
const SDK_DIR = path.dirname(require.resolve("@pulumi/pulumi/package.json"));
const SDK_CAPTURES = new Set([path.join(SDK_DIR, "runtime", "debuggable.js"), path.join(SDK_DIR, "resource.js")]);
function withCheapSdkStackCaptures<T>(body: () => Promise<T>): Promise<T> {
    const original = Error.prepareStackTrace;
    Error.prepareStackTrace = (error: Error, frames: NodeJS.CallSite[]) => {
        if (error.message === "" && error.name === "Error" && SDK_CAPTURES.has(frames[0]?.getFileName() ?? "")) return "Error";
        return original ? original(error, frames) : `${error.name}: ${error.message}\n${frames.map((f) => `    at ${f}`).join("\n")}`;
    };
    return body().finally(() => {
        Error.prepareStackTrace = original;
    });
}

async function runOnce(opts: RunOptions): Promise<RunResult> {
    const projectDir = opts.projectDir ?? PROJECT_ROOT;
    const project = loadProject(projectDir);
    const say = opts.progress ?? (() => undefined);
    const config = readStackConfig(project, opts.stack, opts.config, opts.secretConfigKeys);
    config.warnings.forEach(say);
    const now = opts.now ?? new Date();
    const { prior, crypter: priorCrypter } = priorResources(opts.previous, opts.passphrase);
    const crypter = priorCrypter ?? SecretCrypter.fresh(opts.passphrase);

    const monitor = new OfflineMonitor(opts.stack, project.name, prior, now);
    // A self-managed backend's organization, as the CLI reports it to programs.
    settings.setMockOptions(monitor, project.name, opts.stack, false, "organization");
    const store = internalState.getStore();
    store.supportsSecrets = true;
    store.supportsResourceReferences = true;
    store.supportsOutputValues = false;
    pulumi.runtime.setAllConfig(config.values, config.secretKeys);

    forgetProgramModules(projectDir);
    let programError: unknown;
    // The Node.js host ends the program at its first uncaught error (an error thrown in an
    // apply, say), and RPCs waiting on that value never finish; so the run stops waiting then.
    let stopWaiting: () => void = () => undefined;
    const failed = new Promise<void>((resolve) => (stopWaiting = resolve));
    const onRejection = (reason: unknown) => {
        programError ??= reason;
        stopWaiting();
    };
    const started = Date.now();
    say(`${opts.stack}: running ${path.relative(process.cwd(), project.main) || project.main} under the offline engine${opts.previous ? `, over the previous state (${opts.previous.deployment.resources.length} resources)` : ""}`);
    process.on("unhandledRejection", onRejection);
    // No cluster here: the program must not try to read one (a CA rotation's convergence check).
    const offlineBefore = process.env[OFFLINE_ENGINE_ENV];
    process.env[OFFLINE_ENGINE_ENV] = "1";
    try {
        // Even with config problems the program runs: its own checks then report the value problems alongside.
        await withCheapSdkStackCaptures(() =>
            Promise.race([
                (async () => {
                    await pulumi.runtime.runInPulumiStack(async () => {
                        // eslint-disable-next-line @typescript-eslint/no-require-imports
                        const exported = require(project.main) as unknown;
                        // As the Node.js language host runs a program: a function is called, a promise awaited.
                        const outputs = await (typeof exported === "function" ? (exported as () => unknown)() : exported);
                        return { ...(outputs as Record<string, unknown>) };
                    });
                    await internalSettings.waitForRPCs();
                })(),
                failed,
            ]),
        );
    } catch (err) {
        programError ??= err;
    } finally {
        process.off("unhandledRejection", onRejection);
        if (offlineBefore === undefined) delete process.env[OFFLINE_ENGINE_ENV];
        else process.env[OFFLINE_ENGINE_ENV] = offlineBefore;
    }
    const configProblem = config.problems.length > 0 || problemsOf(programError) !== undefined;
    if (configProblem) throw configError(`Pulumi.${opts.stack}.yaml`, config.problems, programError);
    if (monitor.errors.length) throw monitor.errors[0];
    if (programError) throw programError;
    say(`${opts.stack}: ${monitor.records.size} resources registered in ${((Date.now() - started) / 1000).toFixed(1)} s`);

    const ordered = exportOrder(monitor.records);
    const stackRecord = ordered.find((r) => r.type === "pulumi:pulumi:Stack");
    const plan: PlanStep[] = ordered.map((r) => ({ urn: r.urn, type: r.type, op: r.op }));
    for (const urn of [...prior.keys()].sort()) {
        if (!monitor.records.has(urn) && !monitor.aliased.has(urn)) plan.push({ urn, type: prior.get(urn)!.type, op: "delete", ...(prior.get(urn)!.retainOnDelete ? { retained: true } : {}) });
    }
    const show = opts.showSecrets ?? false;
    const exported: StackExport = {
        version: 3,
        deployment: {
            manifest: { magic: "", version: "spinnaker-mtls-offline" },
            secrets_providers: crypter.provider(),
            resources: ordered.map((r) => {
                const e: ExportedResource = {
                    urn: r.urn,
                    custom: r.custom,
                    ...(r.id !== undefined ? { id: r.id } : {}),
                    type: r.type,
                    inputs: toExport(r.inputs, crypter, show) as Record<string, unknown>,
                    outputs: toExport(r.outputs, crypter, show) as Record<string, unknown>,
                    ...(r.parent ? { parent: r.parent } : {}),
                    ...(r.provider ? { provider: r.provider } : {}),
                    ...(r.dependencies.length ? { dependencies: r.dependencies } : {}),
                    ...(r.additionalSecretOutputs.length ? { additionalSecretOutputs: r.additionalSecretOutputs } : {}),
                    ...(r.retainOnDelete ? { retainOnDelete: true } : {}),
                };
                return e;
            }),
        },
    };
    return { export: exported, resources: ordered, stackOutputs: stackRecord?.outputs ?? {}, plan };
}

export function summarize(plan: PlanStep[]): Record<Operation, number> {
    const counts: Record<Operation, number> = { create: 0, update: 0, replace: 0, same: 0, delete: 0 };
    for (const step of plan) counts[step.op]++;
    return counts;
}

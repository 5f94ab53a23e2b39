// Runs the real program (index.ts) in-process for one stack, under the
// offline monitor, and returns what a `pulumi up` + `pulumi stack export`
// would: every resource with inputs and outputs, and a preview-style plan.
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import * as settings from "@pulumi/pulumi/runtime/settings";
import { PROJECT_ROOT } from "./paths";
import { OfflineMonitor, Operation, PriorResource, RecordedResource, isSecretMarker, secretMarker } from "./monitor";
import { loadProject, loadStackConfig } from "./project";
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
    /** Qualified config keys to values, as `pulumi config set` would set them. */
    readonly config?: Record<string, string>;
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

export function priorResources(previous: StackExport | undefined): { prior: Map<string, PriorResource>; crypter?: SecretCrypter } {
    const prior = new Map<string, PriorResource>();
    if (!previous) return { prior };
    if (previous.version !== 3 || !Array.isArray(previous.deployment?.resources)) throw new Error("previous state is not a version 3 stack export");
    const p = previous.deployment.secrets_providers;
    const crypter = p?.type === "offline-passphrase" ? SecretCrypter.fromProvider(p) : undefined;
    for (const r of previous.deployment.resources) {
        prior.set(r.urn, {
            type: r.type,
            id: r.id,
            inputs: fromExport(r.inputs ?? {}, crypter) as Record<string, unknown>,
            outputs: fromExport(r.outputs ?? {}, crypter) as Record<string, unknown>,
        });
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

async function runOnce(opts: RunOptions): Promise<RunResult> {
    const projectDir = opts.projectDir ?? PROJECT_ROOT;
    const project = loadProject(projectDir);
    const config = loadStackConfig(project, opts.stack, opts.config);
    const now = opts.now ?? new Date();
    const { prior, crypter: priorCrypter } = priorResources(opts.previous);
    const crypter = priorCrypter ?? SecretCrypter.fresh();

    const monitor = new OfflineMonitor(opts.stack, project.name, prior, now);
    settings.setMockOptions(monitor, project.name, opts.stack, false);
    const store = internalState.getStore();
    store.supportsSecrets = true;
    store.supportsResourceReferences = true;
    store.supportsOutputValues = false;
    pulumi.runtime.setAllConfig(config.values, config.secretKeys);

    forgetProgramModules(projectDir);
    let programError: unknown;
    const onRejection = (reason: unknown) => {
        programError ??= reason;
    };
    process.on("unhandledRejection", onRejection);
    try {
        await pulumi.runtime.runInPulumiStack(async () => {
            // eslint-disable-next-line @typescript-eslint/no-require-imports
            const exports = require(project.main) as Record<string, unknown>;
            return { ...exports };
        });
        await internalSettings.waitForRPCs();
    } catch (err) {
        programError ??= err;
    } finally {
        process.off("unhandledRejection", onRejection);
    }
    if (monitor.errors.length) throw monitor.errors[0];
    if (programError) throw programError;

    const ordered = exportOrder(monitor.records);
    const stackRecord = ordered.find((r) => r.type === "pulumi:pulumi:Stack");
    const plan: PlanStep[] = ordered.map((r) => ({ urn: r.urn, type: r.type, op: r.op }));
    for (const urn of [...prior.keys()].sort()) {
        if (!monitor.records.has(urn)) plan.push({ urn, type: prior.get(urn)!.type, op: "delete" });
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

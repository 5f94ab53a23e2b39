// Runs the real program under the offline engine once per stack and shares
// the result between test files (the Pulumi runtime is process-global, so
// runs are serialised).
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { PROJECT_ROOT, RunOptions, RunResult, runProgram } from "../../engine/run";
import { loadProject, readStackConfig } from "../../engine/project";
import type { ServiceName } from "../../lib/catalog/serviceCatalog";
import { RecordedResource, unwrap } from "../../engine/monitor";

const cache = new Map<string, Promise<RunResult>>();
let queue: Promise<unknown> = Promise.resolve();

/** The passphrase exports are encrypted under in tests, unless the environment chooses one (as a user's would). */
export const TEST_PASSPHRASE = "spinnaker-mtls tests";
// The test process is a user who has set a passphrase: in-process exports, `verify --state` and
// re-runs over earlier state all read it from the environment, as the commands do.
if (process.env.PULUMI_CONFIG_PASSPHRASE === undefined && process.env.PULUMI_CONFIG_PASSPHRASE_FILE === undefined) {
    process.env.PULUMI_CONFIG_PASSPHRASE = TEST_PASSPHRASE;
}

/**
 * What the tests assume of each committed stack, whatever its file says
 * today. dev is the rollout stage: the tests of the rollout (client-auth
 * `want` answered as advisory, promotion to `need`) hold for dev as it is
 * during the rollout, and a user who has finished it (dev set to `need`, the
 * README's step) still gets a green run. Every run of a stack (`run`,
 * `stackRun`, `peerRun`) has these under its own config.
 */
export const PINNED_CONFIG: Readonly<Record<string, Readonly<Record<string, string>>>> = {
    dev: { "spinnaker-mtls:clientAuth": "want" },
};

/** The services a committed stack enables, read from its stack file as the engine reads it. */
export function stackServices(stack: string): ServiceName[] {
    const values = readStackConfig(loadProject(PROJECT_ROOT), stack).values;
    return JSON.parse(values["spinnaker-mtls:services"]) as ServiceName[];
}

/** Runs the engine, one run at a time, with the stack's pinned config under the caller's. */
export function run(opts: RunOptions): Promise<RunResult> {
    const next = queue.then(() =>
        runProgram({
            ...opts,
            ...(opts.projectDir ? {} : { config: { ...PINNED_CONFIG[opts.stack], ...opts.config } }),
        }),
    );
    queue = next.catch(() => undefined);
    return next;
}

/** The stack's first run, shared by every test that only reads it. */
export function stackRun(stack: string): Promise<RunResult> {
    if (!cache.has(stack)) cache.set(stack, run({ stack }));
    return cache.get(stack)!;
}

const peerCache = new Map<string, Promise<RunResult>>();

/**
 * The stack as real TLS peers can judge it: with the program's own PKI. A
 * stack on the cert-manager backend (prod) gets its certificates from
 * cert-manager inside the cluster, so here the same stack, keys, names and
 * client-auth setting are issued by the program instead.
 */
export function peerRun(stack: string): Promise<RunResult> {
    if (!peerCache.has(stack)) peerCache.set(stack, stack === "prod" ? run({ stack, config: { "spinnaker-mtls:certificateBackend": "pulumi" } }) : stackRun(stack));
    return peerCache.get(stack)!;
}

export const ofType = (result: RunResult, type: string): RecordedResource[] => result.resources.filter((r) => r.type === type);

export interface ServiceFiles {
    readonly service: string;
    readonly secretName: string;
    /** Decoded Secret data. */
    readonly files: Record<string, Buffer>;
}

/** Every Secret the run created, decoded, by name. */
export function secretsByName(result: RunResult): Map<string, ServiceFiles> {
    const out = new Map<string, ServiceFiles>();
    for (const r of ofType(result, "kubernetes:core/v1:Secret")) {
        const outputs = unwrap(r.outputs) as { metadata: { name: string; labels: Record<string, string> }; data: Record<string, string> };
        const service = outputs.metadata.labels["app.kubernetes.io/component"];
        const files = Object.fromEntries(Object.entries(outputs.data).map(([k, v]) => [k, Buffer.from(v, "base64")]));
        out.set(outputs.metadata.name, { service, secretName: outputs.metadata.name, files });
    }
    return out;
}

/** The TLS Secret (spin-<svc>-tls) of every enabled Spinnaker service, decoded, by service. */
export function serviceSecrets(result: RunResult): Map<string, ServiceFiles> {
    const services = Object.keys(unwrap(result.stackOutputs.serviceCertificates) as object);
    const byName = secretsByName(result);
    return new Map(services.map((s) => [s, byName.get(`spin-${s}-tls`)!]));
}

/** A Kubernetes object's inputs, as sent, by type and metadata.name. */
export function objectNamed<T = Record<string, unknown>>(result: RunResult, type: string, name: string): T {
    const found = ofType(result, type).filter((r) => (unwrap(r.inputs) as { metadata?: { name?: string } }).metadata?.name === name);
    if (found.length !== 1) throw new Error(`expected one ${type} named ${name}, found ${found.length}`);
    return unwrap(found[0].inputs) as T;
}

export const text = (f: ServiceFiles, key: string): string => f.files[key].toString("utf8");

/** A fresh temporary folder, removed by the returned function. */
export function tempDir(prefix: string): { dir: string; remove: () => void } {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `${prefix}-`));
    return { dir, remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

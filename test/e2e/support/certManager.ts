// What the e2e tests over cert-manager's own controller and webhook share
// (test/e2e/certManager.e2e.test.ts, test/e2e/otterize.e2e.test.ts): the
// program's objects as read from an offline-engine run, requests to the
// throwaway API server (test/e2e/support/cluster.ts), the cert-manager
// processes built by test/e2e/build/cert-manager/build.sh, and the Java and
// Go peers that judge what cert-manager writes.
import * as assert from "assert";
import * as childProcess from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as https from "https";
import * as net from "net";
import * as path from "path";
import { unwrap } from "../../../engine/monitor";
import { PROJECT_ROOT, RunResult } from "../../../engine/run";
import { Tree, layOutContainer } from "../../support/goPeer";
import { Cluster } from "./cluster";
import { startGroup, stopGroup } from "./processes";

const BUILD = path.join(PROJECT_ROOT, "test", "e2e", "build", "cert-manager", "build.sh");
const GO_PEER_BUILD = path.join(PROJECT_ROOT, "test", "peers", "go", "build.sh");
export const MTLS_CHECK = path.join(PROJECT_ROOT, "test", "peers", "MtlsCheck.java");
export const FIELD_MANAGER = "pulumi-kubernetes-e2e";
const WEBHOOK_CA_SECRET = "cert-manager-webhook-ca";

// Kubernetes objects as read from JSON (the program's inputs, the API server's
// answers): each test asserts the fields it reads.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = any;
export type Obj = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> }; spec?: Json; data?: Record<string, string>; status?: Json };
type ObjRef = Pick<Obj, "apiVersion" | "kind"> & { metadata: { name?: string; namespace?: string } };

// --- the program's objects ---------------------------------------------------

export const kubeObjects = (result: RunResult): Obj[] =>
    result.resources.filter((r) => r.type.startsWith("kubernetes:") && !r.type.startsWith("pulumi:")).map((r) => unwrap(r.inputs) as Obj).filter((o) => o.kind !== undefined);
export const ofKind = (objs: Obj[], kind: string): Obj[] => objs.filter((o) => o.kind === kind);

/** Every `encryptedFile:k8s!n:<secret>!k:<key>` / `encrypted:k8s!…` reference in an object, as secret → keys. */
export function secretKeyReferences(obj: unknown): Map<string, Set<string>> {
    const out = new Map<string, Set<string>>();
    const text = JSON.stringify(obj);
    for (const m of text.matchAll(/encrypted(?:File)?:k8s!n:([^!"]+)!k:([^"\\]+)/g)) {
        if (!out.has(m[1])) out.set(m[1], new Set());
        out.get(m[1])!.add(m[2]);
    }
    return out;
}

/**
 * The Secret keys a StatefulSet's containers read: for each Secret volume,
 * the `<mountPath>/<key>` paths named in its containers (commands, args, env)
 * or in the ConfigMaps it mounts (redis.conf names its TLS files); for a
 * projected volume, each path back to the Secret and key its source maps
 * there (Redis's tls.crt and tls.key from cert-manager's Secret, ca.crt from
 * the program's trust bundle).
 */
export function statefulSetSecretKeys(sts: Obj, configMaps: Obj[]): Map<string, Set<string>> {
    const pod = sts.spec.template.spec;
    const volumes: Json[] = pod.volumes ?? [];
    const mountedConfig = volumes.filter((v) => v.configMap).map((v) => configMaps.find((c) => c.metadata.name === v.configMap.name && c.metadata.namespace === sts.metadata.namespace));
    const texts = [JSON.stringify(pod.containers), JSON.stringify(pod.initContainers ?? []), ...mountedConfig.map((c) => JSON.stringify(c?.data ?? {}))].join("\n");
    const out = new Map<string, Set<string>>();
    const add = (secret: string, key: string) => {
        if (!out.has(secret)) out.set(secret, new Set());
        out.get(secret)!.add(key);
    };
    for (const v of volumes.filter((x) => x.secret || x.projected)) {
        // A file name in the volume → the Secret and key it comes from.
        const source = (file: string): [string, string] | undefined => {
            if (v.secret) return [v.secret.secretName, file];
            for (const src of (v.projected.sources ?? []).filter((x: Json) => x.secret)) {
                const items: Json[] | undefined = src.secret.items;
                if (!items) return [src.secret.name, file];
                const item = items.find((i) => (i.path ?? i.key) === file);
                if (item) return [src.secret.name, item.key];
            }
            return undefined;
        };
        for (const c of [...pod.containers, ...(pod.initContainers ?? [])]) {
            for (const m of (c.volumeMounts ?? []).filter((x: Json) => x.name === v.name)) {
                const re = new RegExp(`${m.mountPath.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}/([A-Za-z0-9._-]+)`, "g");
                for (const hit of texts.matchAll(re)) {
                    const from = source(hit[1]);
                    if (from) add(...from);
                }
            }
        }
    }
    return out;
}

/** The SpinnakerService patch's service-settings, wherever the patch puts them. */
export function serviceSettings(patch: Obj): Record<string, Json> {
    const settings = patch.spec.spinnakerConfig.config?.["service-settings"] ?? patch.spec.spinnakerConfig["service-settings"];
    assert.ok(settings, "the SpinnakerService patch has service-settings");
    return settings as Record<string, Json>;
}

// --- the API server ----------------------------------------------------------

export interface ApiResponse { status: number; body: string; warnings: string[] }

/** A request with the cluster's admin token, returning the Warning headers too (the webhook's warnings arrive there). */
export function api(cluster: Cluster, method: string, apiPath: string, body?: unknown, contentType = "application/json"): Promise<ApiResponse> {
    const kc = JSON.parse(fs.readFileSync(cluster.kubeconfig, "utf8")) as { users: { user: { token: string } }[] };
    const payload = body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body);
    return new Promise((resolve, reject) => {
        const req = https.request(`${cluster.server}${apiPath}`, {
            method,
            ca: cluster.ca,
            headers: { Authorization: `Bearer ${kc.users[0].user.token}`, Accept: "application/json", ...(payload !== undefined ? { "Content-Type": contentType } : {}) },
        }, (res) => {
            let data = "";
            res.setEncoding("utf8");
            res.on("data", (c: string) => (data += c));
            res.on("end", () => {
                const w = res.headers.warning;
                resolve({ status: res.statusCode ?? 0, body: data, warnings: (Array.isArray(w) ? w : w ? [w] : []).map(String) });
            });
        });
        req.on("error", reject);
        req.setTimeout(30_000, () => req.destroy(new Error(`${method} ${apiPath} timed out`)));
        req.end(payload);
    });
}

const PLURAL: Record<string, string> = {
    Namespace: "namespaces",
    Secret: "secrets",
    ClusterIssuer: "clusterissuers",
    Issuer: "issuers",
    Certificate: "certificates",
    CertificateRequest: "certificaterequests",
    CertificateRequestPolicy: "certificaterequestpolicies",
};

export function objectPath(o: ObjRef): string {
    const plural = PLURAL[o.kind];
    if (!plural) throw new Error(`objectPath: no resource name known for kind ${o.kind}`);
    const base = o.apiVersion.includes("/") ? `/apis/${o.apiVersion}` : `/api/${o.apiVersion}`;
    const ns = o.metadata.namespace ? `/namespaces/${o.metadata.namespace}` : "";
    return `${base}${ns}/${plural}${o.metadata.name ? `/${o.metadata.name}` : ""}`;
}

/** A server-side apply, as the Kubernetes provider sends it. */
export async function apply(cluster: Cluster, o: Obj, fieldManager = FIELD_MANAGER): Promise<ApiResponse> {
    const res = await api(cluster, "PATCH", `${objectPath(o)}?fieldManager=${fieldManager}&force=true`, o, "application/apply-patch+yaml");
    if (res.status >= 300) throw new Error(`applying ${o.kind} ${o.metadata.namespace ?? ""}/${o.metadata.name}: ${res.status} ${res.body.slice(0, 800)}`);
    return res;
}

export async function get<T = Obj>(cluster: Cluster, o: ObjRef): Promise<T> {
    const res = await api(cluster, "GET", objectPath(o));
    if (res.status !== 200) throw new Error(`GET ${objectPath(o)}: ${res.status} ${res.body.slice(0, 300)}`);
    return JSON.parse(res.body) as T;
}

export async function waitUntil<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>, onTimeout: () => string = () => ""): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
        const v = await probe();
        if (v !== undefined) return v;
        if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${onTimeout() ? `\n${onTimeout()}` : ""}`);
        await new Promise((r) => setTimeout(r, 300));
    }
}

/** The API server's message when cert-manager's webhook refused the request (not the CRD schema). */
export const deniedByWebhook = (r: ApiResponse): boolean => {
    try {
        return /^admission webhook "webhook\.cert-manager\.io" denied the request: /.test((JSON.parse(r.body) as { message?: string }).message ?? "");
    } catch {
        return false;
    }
};

export const condition = (o: Obj, type: string): { status: string; reason?: string; message?: string } | undefined =>
    (o.status?.conditions as { type: string; status: string; reason?: string; message?: string }[] | undefined)?.find((c) => c.type === type);

export const secretObj = (name: string, namespace: string): ObjRef => ({ apiVersion: "v1", kind: "Secret", metadata: { name, namespace } });
export const certObj = (c: Obj): ObjRef => ({ apiVersion: c.apiVersion, kind: "Certificate", metadata: { name: c.metadata.name, namespace: c.metadata.namespace } });

// --- processes ---------------------------------------------------------------

export interface Proc { child: childProcess.ChildProcess; log: string }

export function startProc(bin: string, args: string[], log: string): Proc {
    const fd = fs.openSync(log, "a");
    const child = startGroup(path.basename(bin), bin, args, { stdio: ["ignore", fd, fd] });
    fs.closeSync(fd);
    return { child, log };
}

/** Stops a process this suite started (its own process group), SIGKILL after 10 s. */
export const stopProc = (p: Proc | undefined): Promise<void> => stopGroup(p?.child);

export const tail = (file: string, n = 30): string => (fs.existsSync(file) ? fs.readFileSync(file, "utf8").split("\n").slice(-n).join("\n") : "");

export async function freePort(): Promise<number> {
    return new Promise((resolve, reject) => {
        const srv = net.createServer();
        srv.once("error", reject);
        srv.listen(0, "127.0.0.1", () => {
            const port = (srv.address() as net.AddressInfo).port;
            srv.close(() => resolve(port));
        });
    });
}

export const accepts = (port: number): Promise<boolean> =>
    new Promise((resolve) => {
        const s = net.connect({ host: "127.0.0.1", port }, () => { s.destroy(); resolve(true); });
        s.on("error", () => resolve(false));
    });

// --- cert-manager ------------------------------------------------------------

/** The cert-manager binary: E2E_CERT_MANAGER_BIN, else what build.sh builds (or finds in its cache). */
export function certManagerBinary(): string {
    if (process.env.E2E_CERT_MANAGER_BIN) return process.env.E2E_CERT_MANAGER_BIN;
    const r = childProcess.spawnSync("bash", [BUILD], { encoding: "utf8", timeout: 40 * 60_000 });
    if (r.status !== 0) throw new Error(`test/e2e/build/cert-manager/build.sh failed (${r.status}):\n${r.stderr.slice(-3000)}`);
    const env = fs.readFileSync(r.stdout.trim().split("\n").pop()!, "utf8");
    const m = /^export E2E_CERT_MANAGER_BIN='([^']+)'$/m.exec(env);
    if (!m) throw new Error(`no E2E_CERT_MANAGER_BIN in ${r.stdout.trim()}`);
    return m[1];
}

/**
 * cert-manager's webhook on 127.0.0.1, registered as the Helm chart registers
 * it (validating every cert-manager.io object, mutating CertificateRequests),
 * returned once it has refused an invalid ClusterIssuer: from then on every
 * cert-manager object is admitted by cert-manager's own validation.
 */
export async function startWebhook(cluster: Cluster, bin: string, certManagerNs: string, logDir: string): Promise<Proc> {
    const port = await freePort();
    const webhook = startProc(bin, ["webhook", `--kubeconfig=${cluster.kubeconfig}`, `--port=${port}`, `--ca-secret-namespace=${certManagerNs}`, `--ca-secret-name=${WEBHOOK_CA_SECRET}`], path.join(logDir, "webhook.log"));
    const caBundle = await waitUntil("the webhook's serving CA Secret", 60_000, async () => {
        if (webhook.child.exitCode !== null) throw new Error(`webhook exited: ${tail(webhook.log)}`);
        const r = await api(cluster, "GET", objectPath(secretObj(WEBHOOK_CA_SECRET, certManagerNs)));
        return r.status === 200 ? (JSON.parse(r.body) as Obj).data?.["ca.crt"] : undefined;
    });
    await waitUntil("the webhook to listen on 127.0.0.1", 60_000, async () => ((await accepts(port)) ? true : undefined), () => tail(webhook.log));
    const rules = (resources: string[], operations: string[]) => [{ apiGroups: ["cert-manager.io", "acme.cert-manager.io"], apiVersions: ["v1"], operations, resources }];
    const hook = (suffix: string, r: object[]) => ({
        name: "webhook.cert-manager.io",
        rules: r,
        admissionReviewVersions: ["v1"],
        matchPolicy: "Equivalent",
        timeoutSeconds: 30,
        failurePolicy: "Fail",
        sideEffects: "None",
        clientConfig: { url: `https://localhost:${port}/${suffix}`, caBundle },
    });
    for (const [kind, suffix, r] of [
        ["ValidatingWebhookConfiguration", "validate", rules(["*/*"], ["CREATE", "UPDATE"])],
        ["MutatingWebhookConfiguration", "mutate", rules(["certificaterequests"], ["CREATE"])],
    ] as const) {
        const body = { apiVersion: "admissionregistration.k8s.io/v1", kind, metadata: { name: "cert-manager-webhook" }, webhooks: [hook(suffix, r as unknown as object[])] };
        const res = await api(cluster, "PATCH", `/apis/admissionregistration.k8s.io/v1/${kind.toLowerCase()}s/cert-manager-webhook?fieldManager=${FIELD_MANAGER}&force=true`, body, "application/apply-patch+yaml");
        assert.ok(res.status < 300, `${kind}: ${res.status} ${res.body.slice(0, 500)}`);
    }
    // Registered is not yet called: wait until an invalid issuer is refused by the webhook.
    let probe = "";
    await waitUntil("the webhook to judge ClusterIssuers", 60_000, async () => {
        const r = await api(cluster, "POST", "/apis/cert-manager.io/v1/clusterissuers?dryRun=All", { apiVersion: "cert-manager.io/v1", kind: "ClusterIssuer", metadata: { name: "e2e-probe" }, spec: {} });
        probe = `${r.status} ${r.body.slice(0, 500)}`;
        return r.status >= 400 && deniedByWebhook(r) ? true : undefined;
    }, () => `last answer: ${probe}\nwebhook log:\n${tail(webhook.log, 15)}`);
    return webhook;
}

/**
 * cert-manager's controller, reading ClusterIssuer Secrets from certManagerNs (the Helm chart's
 * --cluster-resource-namespace); `extraArgs` such as --controllers=*,-certificaterequests-approver.
 */
export function startController(cluster: Cluster, bin: string, certManagerNs: string, logDir: string, extraArgs: readonly string[] = []): Proc {
    return startProc(bin, ["controller", `--kubeconfig=${cluster.kubeconfig}`, `--cluster-resource-namespace=${certManagerNs}`, "--v=2", ...extraArgs], path.join(logDir, "controller.log"));
}

/** The Certificate once its Ready condition is True; fails early if the controller exits. */
export function waitCertificateReady(cluster: Cluster, c: Obj, controller: Proc, logs: () => string, timeoutMs = 240_000): Promise<Obj> {
    return waitUntil(`Certificate ${c.metadata.namespace}/${c.metadata.name} Ready`, timeoutMs, async () => {
        if (controller.child.exitCode !== null) throw new Error(`controller exited (${controller.child.exitCode}):\n${logs()}`);
        const latest = await get(cluster, certObj(c));
        return condition(latest, "Ready")?.status === "True" ? latest : undefined;
    }, logs);
}

export const decode = (s: Obj): Record<string, Buffer> => Object.fromEntries(Object.entries(s.data ?? {}).map(([k, v]) => [k, Buffer.from(v, "base64")]));
export const sha = (b: Buffer | string): string => crypto.createHash("sha256").update(b).digest("hex");
export const spkiOf = (certPem: Buffer): string => sha(new crypto.X509Certificate(certPem).publicKey.export({ type: "spki", format: "der" }));

// --- the peers ---------------------------------------------------------------

/** A JSSE store file with its password and KeyStore type. */
export interface JavaStore { readonly file: string; readonly password: string; readonly type?: "PKCS12" | "JKS" }

/**
 * One mutual-TLS exchange in JSSE (test/peers/MtlsCheck.java): the server
 * requires a client certificate; the client verifies the server's name.
 * Returns the process result; "OK <client subject>" on stdout on success.
 */
export function javaMtlsCheck(server: { keystore: JavaStore; truststore: JavaStore }, client: { keystore: JavaStore; truststore: JavaStore }, hostname: string): childProcess.SpawnSyncReturns<string> {
    const stores = [server.keystore, server.truststore, client.keystore, client.truststore];
    const args = [MTLS_CHECK, ...stores.flatMap((s) => [s.file, s.password]), hostname];
    // The store types go last, only when one is not MtlsCheck's default (PKCS12).
    if (stores.some((s) => (s.type ?? "PKCS12") !== "PKCS12")) args.push(...stores.map((s) => s.type ?? "PKCS12"));
    return childProcess.spawnSync("java", args, { encoding: "utf8", timeout: 120_000 });
}

/** The go-yaml-tools peer (test/peers/go), built or found in its cache. */
export function goPeerBinary(): string {
    const r = childProcess.spawnSync("bash", [GO_PEER_BUILD], { encoding: "utf8", timeout: 20 * 60_000 });
    assert.strictEqual(r.status, 0, r.stderr);
    return r.stdout.trim().split("\n").pop()!;
}

export interface GoPeerExchange {
    /** The server's `starting` event: the key it loaded. */
    readonly starting?: { event: string; key?: { type: string; bits: number } };
    /** The client's `response` event: the server answers with the client certificate's subject CN as `{peer}`. */
    readonly response?: { event: string; status?: number; body?: string };
}

/**
 * A Go service's profile (as the SpinnakerService patch renders it) run by
 * go-yaml-tools: its `encryptedFile:k8s!n:<secret>!k:<key>` references laid
 * out as the Operator mounts them, from `files` (the Secret's data). The peer
 * serves mutual TLS on 127.0.0.1 and calls itself as `https://<dnsName>`.
 */
export async function goYamlToolsExchange(opts: { peer: string; service: string; profile: unknown; secretName: string; files: Record<string, Buffer>; dnsName: string; dir: string }): Promise<GoPeerExchange> {
    // The container as the Operator lays it out, from the one Secret cert-manager wrote: a reference to any other fails there.
    const secrets = new Map([[opts.secretName, { service: opts.service, secretName: opts.secretName, files: opts.files }]]);
    const configDir = layOutContainer(path.join(opts.dir, opts.service), opts.service, opts.profile as Tree, secrets);
    const port = await freePort();
    const server = startGroup("go-peer", opts.peer, ["-mode", "serve", "-config-dir", configDir, "-service", opts.service, "-port", String(port)], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    server.stdout!.on("data", (d) => (out += d));
    server.stderr!.on("data", (d) => (out += d));
    const events = (s: string) => s.split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l) as { event: string });
    try {
        await waitUntil(`${opts.service}'s go-yaml-tools server`, 15_000, async () => {
            if (server.exitCode !== null) throw new Error(`server exited: ${out}`);
            return (await accepts(port)) ? true : undefined;
        });
        const starting = events(out).find((e) => e.event === "starting") as GoPeerExchange["starting"];
        const call = childProcess.spawnSync(opts.peer, ["-mode", "call", "-config-dir", configDir, "-service", opts.service, "-url", `https://${opts.dnsName}:${port}/`, "-connect", `127.0.0.1:${port}`, "-timeout", "10s"], { encoding: "utf8", timeout: 30_000 });
        assert.strictEqual(call.status, 0, call.stdout + call.stderr);
        const response = events(call.stdout).find((e) => e.event === "response") as GoPeerExchange["response"];
        return { starting, response };
    } finally {
        await stopGroup(server);
    }
}

/** cert-manager's webhook and controller serving a stack run's cluster; `stop` ends both. */
export interface CertManagerServing {
    readonly webhook: Proc;
    readonly controller: Proc;
    /** Stops both; prints the controller log's tail when `failed`. */
    stop(failed?: boolean): Promise<void>;
}

/**
 * Starts cert-manager (webhook, then controller, reading ClusterIssuer Secrets
 * from `certManagerNs`) for a cluster, its logs under `logDir`. For prod's
 * e2e runs: its Certificates carry pulumi.com/waitFor condition=Ready, so
 * `pulumi up` waits until this controller has issued each one.
 */
export async function serveCertManager(cluster: Cluster, logDir: string, certManagerNs = "cert-manager"): Promise<CertManagerServing> {
    fs.mkdirSync(logDir, { recursive: true });
    const bin = certManagerBinary();
    const webhook = await startWebhook(cluster, bin, certManagerNs, logDir);
    const controller = startController(cluster, bin, certManagerNs, logDir);
    return {
        webhook,
        controller,
        stop: async (failed = false) => {
            if (failed) console.log(tail(controller.log, 20));
            await stopProc(controller);
            await stopProc(webhook);
        },
    };
}

/**
 * The config a prod e2e copy of the stack runs with: no ACME server is
 * reachable here, so the ingress certificate comes from the program's CA
 * instead of acme-dns01 (the test's copy of the stack only).
 */
export const NO_ACME_OVERRIDES: Readonly<Record<string, string | null>> = {
    "spinnaker-mtls:ingressIssuer": "spinnaker-ca",
    "spinnaker-mtls:acmeEmail": null,
    "spinnaker-mtls:acmeDns01Solver": null,
};

/** Applies overrides to a CLI stack: a value is `pulumi config set`, null is `pulumi config rm`. */
export async function applyConfigOverrides(ws: { ok(args: string[], cwd: string): Promise<unknown> }, project: string, overrides: Readonly<Record<string, string | null>>): Promise<void> {
    for (const [key, value] of Object.entries(overrides)) {
        await ws.ok(value === null ? ["config", "rm", key] : ["config", "set", key, value], project);
    }
}

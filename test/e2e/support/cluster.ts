// A throwaway Kubernetes control plane for the end-to-end tests (issue 12):
// kine (etcd API over SQLite) + kube-apiserver (+ kube-controller-manager for
// namespace deletion and garbage collection), all on 127.0.0.1, token auth,
// and a kubeconfig for the Pulumi Kubernetes provider. There is no kubelet:
// workloads are accepted by the API server but no pod ever runs.
//
// The binaries come from test/e2e/build/toolchain/build.sh. The CRDs the program's
// objects need are read from the Go module cache (never copied into the
// repository): cert-manager's deploy/crds, approver-policy's, and istio.io/api's generated CRDs.
//
// Run by hand: npx ts-node --transpile-only test/e2e/support/cluster.ts
// (starts, prints the kubeconfig path, and stops on Ctrl-C).
import { ChildProcess, execFileSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as https from "https";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { parseAllDocuments } from "yaml";
import { startGroup, stopGroup } from "./processes";

/** CRD sources in the Go module cache: module@version and the files in it. */
export const CRD_MODULES: { module: string; version: string; files: (dir: string) => string[] }[] = [
    {
        // v1.21 ships plain CRD YAML in deploy/crds; v1.16's files there are Helm
        // templates. cert-manager.io/v1 is the same API in both.
        module: "github.com/cert-manager/cert-manager",
        version: "v1.21.2",
        files: (dir) => fs.readdirSync(path.join(dir, "deploy/crds"))
            .filter((f) => f.endsWith(".yaml"))
            .map((f) => path.join(dir, "deploy/crds", f)),
    },
    {
        // approver-policy's CertificateRequestPolicy, from the version test/e2e/build/approver-policy/build.sh builds.
        module: "github.com/cert-manager/approver-policy",
        version: "v0.28.0",
        files: (dir) => [path.join(dir, "deploy/crds/policy.cert-manager.io_certificaterequestpolicies.yaml")],
    },
    {
        module: "istio.io/api",
        version: "v1.32.0",
        files: (dir) => [path.join(dir, "kubernetes/customresourcedefinitions.gen.yaml")],
    },
];

/**
 * The SpinnakerService CRD. The operator's module (github.com/armory/spinnaker-operator,
 * which ships deploy/crds/spinnaker.io_spinnakerservices.yaml) is refused by the
 * Go module proxy here, so this is a stand-in of our own: the same group, kind,
 * versions and names, with an open schema. It cannot catch a field the real
 * CRD's schema would reject.
 */
export function spinnakerServiceCrds(): object[] {
    return ["spinnaker.io", "spinnaker.armory.io"].map((group) => ({
        apiVersion: "apiextensions.k8s.io/v1",
        kind: "CustomResourceDefinition",
        metadata: { name: `spinnakerservices.${group}`, labels: { "e2e.spinnaker-mtls/stand-in": "true" } },
        spec: {
            group,
            names: { kind: "SpinnakerService", listKind: "SpinnakerServiceList", plural: "spinnakerservices", singular: "spinnakerservice", shortNames: ["spinsvc"] },
            scope: "Namespaced",
            versions: ["v1alpha2"].map((name) => ({
                name,
                served: true,
                storage: true,
                subresources: { status: {} },
                schema: { openAPIV3Schema: { type: "object", "x-kubernetes-preserve-unknown-fields": true } },
            })),
        },
    }));
}

export interface Cluster {
    /** Folder holding the kubeconfig, the database, the logs. */
    dir: string;
    kubeconfig: string;
    server: string;
    /** PEM of the API server's self-signed serving chain. */
    ca: string;
    /** GET/PATCH/… against the API server with the admin token. */
    request(method: string, apiPath: string, body?: string, contentType?: string): Promise<{ status: number; body: string }>;
    stop(): Promise<void>;
}

export interface StartOptions {
    /** The toolchain folder from build.sh (its bin/ holds the servers). */
    toolchainDir: string;
    /** Run kube-controller-manager (namespace deletion, garbage collection). */
    controllerManager?: boolean;
    /** Load the cert-manager, Istio and SpinnakerService CRDs. */
    crds?: boolean;
}

async function freePort(): Promise<number> {
    return new Promise((resolve, reject) => {
        const srv = net.createServer();
        srv.once("error", reject);
        srv.listen(0, "127.0.0.1", () => {
            const port = (srv.address() as net.AddressInfo).port;
            srv.close(() => resolve(port));
        });
    });
}

async function waitFor<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>, procs: Proc[]): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    let lastError = "";
    while (Date.now() < deadline) {
        const dead = procs.find((p) => p.child.exitCode !== null);
        if (dead) throw new Error(`${dead.name} exited (${dead.child.exitCode}) while waiting for ${what}; see ${dead.log}:\n${tail(dead.log)}`);
        try {
            const v = await probe();
            if (v !== undefined) return v;
        } catch (e) {
            lastError = (e as Error).message;
        }
        await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} ${lastError}`);
}

function tail(file: string, lines = 20): string {
    try {
        return fs.readFileSync(file, "utf8").split("\n").slice(-lines).join("\n");
    } catch {
        return "";
    }
}

interface Proc { name: string; child: ChildProcess; log: string }

function startProc(name: string, bin: string, args: string[], dir: string): Proc {
    const log = path.join(dir, `${name}.log`);
    const fd = fs.openSync(log, "a");
    // Its own process group, so that stop() ends it and only it.
    const child = startGroup(name, bin, args, { cwd: dir, stdio: ["ignore", fd, fd] });
    fs.closeSync(fd);
    return { name, child, log };
}

const stopProc = (p: Proc): Promise<void> => stopGroup(p.child);

/** The folder of module@version in the Go module cache, downloading it through the proxy if absent. */
export function goModuleDir(module: string, version: string): string {
    const out = execFileSync("go", ["mod", "download", "-json", `${module}@${version}`], {
        cwd: os.tmpdir(),
        env: { ...process.env, GOFLAGS: "-mod=mod" },
        encoding: "utf8",
    });
    const info = JSON.parse(out) as { Dir?: string; Error?: string };
    if (!info.Dir) throw new Error(`go mod download ${module}@${version}: ${info.Error ?? out}`);
    return info.Dir;
}

let loadedCrds: object[] | undefined;

/** Every CustomResourceDefinition the e2e stacks need, as objects (read once per process: Istio's file alone takes a second to parse). */
export function loadCrds(): object[] {
    loadedCrds ??= readCrds();
    return loadedCrds;
}

function readCrds(): object[] {
    const crds: object[] = [];
    for (const m of CRD_MODULES) {
        const dir = goModuleDir(m.module, m.version);
        for (const file of m.files(dir)) {
            for (const doc of parseAllDocuments(fs.readFileSync(file, "utf8"))) {
                const obj = doc.toJS() as { kind?: string } | null;
                if (obj?.kind === "CustomResourceDefinition") crds.push(obj);
            }
        }
    }
    return [...crds, ...spinnakerServiceCrds()];
}

export async function startCluster(opts: StartOptions): Promise<Cluster> {
    const bin = (name: string) => path.join(opts.toolchainDir, "bin", name);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "spinnaker-mtls-cluster-"));
    const procs: Proc[] = [];
    const stop = async () => {
        // Reverse start order: controllers, API server, then storage.
        for (const p of [...procs].reverse()) await stopProc(p);
        fs.rmSync(dir, { recursive: true, force: true });
    };
    try {
        const [kinePort, apiPort, kcmPort] = await Promise.all([freePort(), freePort(), freePort()]);
        const token = crypto.randomBytes(24).toString("hex");
        fs.writeFileSync(path.join(dir, "tokens.csv"), `${token},e2e-admin,e2e-admin,"system:masters"\n`, { mode: 0o600 });
        const sa = crypto.generateKeyPairSync("rsa", { modulusLength: 2048 });
        fs.writeFileSync(path.join(dir, "sa.key"), sa.privateKey.export({ type: "pkcs8", format: "pem" }), { mode: 0o600 });
        fs.writeFileSync(path.join(dir, "sa.pub"), sa.publicKey.export({ type: "spki", format: "pem" }));

        // kine's default endpoint is SQLite at ./db/state.db, under the cluster folder.
        procs.push(startProc("kine", bin("kine"), ["--listen-address", `127.0.0.1:${kinePort}`, "--metrics-bind-address", "0"], dir));
        await waitFor("kine", 60_000, () => new Promise<true | undefined>((resolve) => {
            const s = net.connect(kinePort, "127.0.0.1", () => { s.end(); resolve(true); });
            s.on("error", () => resolve(undefined));
        }), procs);

        procs.push(startProc("kube-apiserver", bin("kube-apiserver"), [
            `--etcd-servers=http://127.0.0.1:${kinePort}`,
            "--bind-address=127.0.0.1",
            "--advertise-address=127.0.0.1",
            `--secure-port=${apiPort}`,
            // A self-signed serving chain for 127.0.0.1/localhost, generated here.
            `--cert-dir=${path.join(dir, "certs")}`,
            `--token-auth-file=${path.join(dir, "tokens.csv")}`,
            "--authorization-mode=RBAC",
            "--anonymous-auth=false",
            `--service-account-key-file=${path.join(dir, "sa.pub")}`,
            `--service-account-signing-key-file=${path.join(dir, "sa.key")}`,
            "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
            "--service-cluster-ip-range=10.96.0.0/24",
            "--allow-privileged=true",
            // Fewer background loops on a shared 2-core machine.
            "--enable-priority-and-fairness=false",
            "--profiling=false",
            "--endpoint-reconciler-type=none",
        ], dir));

        const server = `https://127.0.0.1:${apiPort}`;
        const crtFile = path.join(dir, "certs", "apiserver.crt");
        const ca = await waitFor("the API server's serving certificate", 120_000,
            async () => (fs.existsSync(crtFile) ? fs.readFileSync(crtFile, "utf8") : undefined), procs);
        const request = (method: string, apiPath: string, body?: string, contentType = "application/json") =>
            new Promise<{ status: number; body: string }>((resolve, reject) => {
                const req = https.request(`${server}${apiPath}`, {
                    method,
                    ca,
                    headers: { Authorization: `Bearer ${token}`, Accept: "application/json", ...(body !== undefined ? { "Content-Type": contentType } : {}) },
                }, (res) => {
                    let data = "";
                    res.setEncoding("utf8");
                    res.on("data", (c: string) => (data += c));
                    res.on("end", () => resolve({ status: res.statusCode ?? 0, body: data }));
                });
                req.on("error", reject);
                req.setTimeout(30_000, () => req.destroy(new Error(`${method} ${apiPath} timed out`)));
                req.end(body);
            });
        await waitFor("the API server's /readyz", 180_000, async () => ((await request("GET", "/readyz")).status === 200 ? true : undefined), procs);

        const kubeconfig = path.join(dir, "kubeconfig");
        const b64 = (s: string) => Buffer.from(s).toString("base64");
        fs.writeFileSync(kubeconfig, JSON.stringify({
            apiVersion: "v1",
            kind: "Config",
            clusters: [{ name: "e2e", cluster: { server, "certificate-authority-data": b64(ca) } }],
            users: [{ name: "e2e-admin", user: { token } }],
            contexts: [{ name: "e2e", context: { cluster: "e2e", user: "e2e-admin" } }],
            "current-context": "e2e",
        }, null, 2), { mode: 0o600 });

        if (opts.controllerManager !== false) {
            procs.push(startProc("kube-controller-manager", bin("kube-controller-manager"), [
                `--kubeconfig=${kubeconfig}`,
                `--authentication-kubeconfig=${kubeconfig}`,
                `--authorization-kubeconfig=${kubeconfig}`,
                "--bind-address=127.0.0.1",
                `--secure-port=${kcmPort}`,
                "--leader-elect=false",
                // Namespace deletion (its finalizer), garbage collection for
                // foreground/background deletion, default ServiceAccounts.
                "--controllers=namespace-controller,garbage-collector-controller,serviceaccount-controller",
            ], dir));
        }

        if (opts.crds !== false) {
            const crds = loadCrds() as { metadata: { name: string } }[];
            // All at once: the API server takes them in any order, and each becomes Established on its own.
            await Promise.all(crds.map(async (crd) => {
                const res = await request("PATCH",
                    `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${crd.metadata.name}?fieldManager=e2e-cluster&force=true`,
                    JSON.stringify(crd), "application/apply-patch+yaml");
                if (res.status >= 300) throw new Error(`applying CRD ${crd.metadata.name}: ${res.status} ${res.body.slice(0, 500)}`);
            }));
            await Promise.all(crds.map((crd) => waitFor(`CRD ${crd.metadata.name} Established`, 60_000, async () => {
                const res = await request("GET", `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${crd.metadata.name}`);
                const conds = (JSON.parse(res.body) as { status?: { conditions?: { type: string; status: string }[] } }).status?.conditions ?? [];
                return conds.some((c) => c.type === "Established" && c.status === "True") ? true : undefined;
            }, procs)));
        }
        return { dir, kubeconfig, server, ca, request, stop };
    } catch (e) {
        await stop();
        throw e;
    }
}

/** The toolchain folder: E2E_TOOLCHAIN_DIR (from toolchain.env), else undefined. */
export function toolchainDir(): string | undefined {
    const d = process.env.E2E_TOOLCHAIN_DIR;
    return d && fs.existsSync(path.join(d, "bin", "kube-apiserver")) ? d : undefined;
}

if (require.main === module) {
    const tc = toolchainDir();
    if (!tc) {
        console.error("source the env file that test/e2e/build/toolchain/build.sh prints first (E2E_TOOLCHAIN_DIR unset)");
        process.exit(2);
    }
    void startCluster({ toolchainDir: tc }).then((c) => {
        console.log(`KUBECONFIG=${c.kubeconfig}`);
        const quit = () => void c.stop().then(() => process.exit(0));
        process.on("SIGINT", quit);
        process.on("SIGTERM", quit);
    }, (e: Error) => {
        console.error(e.message);
        process.exit(1);
    });
}

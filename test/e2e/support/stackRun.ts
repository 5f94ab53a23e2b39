// What the dev and prod e2e files share: a throwaway copy of the project with
// its own stack, a local API server, the user's pre-existing objects (the
// namespace and, in patch mode, the SpinnakerService), and readers for the
// state and the cluster.
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import { Cluster, startCluster } from "./cluster";
import { createWorkspace, missingToolchain, standIns, Workspace } from "./pulumiCli";

export const REPO = path.resolve(__dirname, "../../..");
// What the project holds that the program and its policy pack need (index.ts
// imports engine/transpileCache.ts first, so engine/ comes along).
export const PROJECT_FILES = ["Pulumi.yaml", "index.ts", "package.json", "tsconfig.json", "tsconfig.pulumi.json", "components", "engine", "lib", "policies"];
/** Everything the program runs on under the real CLI. */
export const PROGRAM_NEEDS = ["pulumi", "pulumi-language-nodejs", "pulumi-resource-kubernetes", "pulumi-resource-tls", "pulumi-resource-random", "kube-apiserver", "kine"];
/** The field manager the test's "Operator user" applies the pre-existing objects with. */
export const USER_MANAGER = "e2e-operator-user";
export const USER_SPINNAKER_VERSION = "1.35.0";

export interface StackRun {
    cluster: Cluster;
    ws: Workspace;
    project: string;
    stack: string;
    namespace: string;
    spinnakerServiceName: string;
    /** API path of the user's SpinnakerService (its group follows spinnakerFlavor). */
    spinnakerServicePath: string;
    /** The stack file's config, as shipped in the repository. */
    config: Record<string, unknown>;
    policyArgs: string[];
    stop(): Promise<void>;
}

/** The stand-ins the run uses, one line each, for the test's output. */
export function standInNotice(): string {
    const used = standIns(PROGRAM_NEEDS);
    // The Kubernetes provider is upstream's code, but not its release: the one commit the proxy serves.
    const provider = process.env.PULUMI_K8S_PROVIDER_LABEL
        ? `; the Kubernetes provider is upstream commit ${process.env.PULUMI_K8S_PROVIDER_LABEL} in the 4.34.2 plugin slot (the proxy serves no tagged release)`
        : "";
    if (used.length === 0) return `upstream builds only${provider}`;
    return "STAND-INS (this project's own code, not upstream): " + used.map((s) => `${s.name} ${s.label}`).join("; ") + provider;
}

export interface StackRunOptions {
    /**
     * The spec of the user's pre-existing SpinnakerService (patch mode), as the
     * Operator's user applied it under USER_MANAGER; by default only
     * spinnakerConfig.config.version (USER_SPINNAKER_VERSION).
     */
    userSpinnakerServiceSpec?: Record<string, unknown>;
}

/**
 * Starts a cluster and a workspace for `stack`. `userNamespaces` are the
 * namespaces that exist before the stack in a user's cluster besides the
 * stack's own (e.g. cert-manager's, Istio's root), created here as the user's.
 */
export async function startStackRun(stack: string, userNamespaces: string[] = [], options: StackRunOptions = {}): Promise<StackRun> {
    const why = missingToolchain(PROGRAM_NEEDS);
    // Missing parts fail the suite, never skip it.
    if (why) throw new Error(`the e2e toolchain is incomplete: ${why}`);
    const cluster = await startCluster({ toolchainDir: process.env.E2E_TOOLCHAIN_DIR! });
    const ws = createWorkspace(cluster.kubeconfig);
    try {
        // A copy, so that `stack init` (which writes the passphrase salt into the
        // stack file) and halyardDir writes never touch the repository.
        const project = path.join(ws.dir, "project");
        fs.mkdirSync(project);
        for (const f of [...PROJECT_FILES, `Pulumi.${stack}.yaml`]) fs.cpSync(path.join(REPO, f), path.join(project, f), { recursive: true });
        fs.symlinkSync(path.join(REPO, "node_modules"), path.join(project, "node_modules"));
        const config = (parse(fs.readFileSync(path.join(project, `Pulumi.${stack}.yaml`), "utf8")) as { config: Record<string, unknown> }).config;
        const namespace = String(config["spinnaker-mtls:namespace"] ?? "spinnaker");
        const spinnakerServiceName = String(config["spinnaker-mtls:spinnakerServiceName"] ?? "spinnaker");

        await ws.ok(["stack", "init", stack, "--secrets-provider", "passphrase"], project);
        await ws.ok(["config", "set", "spinnaker-mtls:halyardDir", path.join(ws.dir, "halyard")], project);
        // The namespace and, in patch mode (the default), the SpinnakerService the
        // program patches: the Operator's user creates them first, as here.
        const spinnakerServiceApiVersion = config["spinnaker-mtls:spinnakerFlavor"] === "armory" ? "spinnaker.armory.io/v1alpha2" : "spinnaker.io/v1alpha2";
        const svc = {
            apiVersion: spinnakerServiceApiVersion,
            kind: "SpinnakerService",
            metadata: { name: spinnakerServiceName, namespace },
            spec: options.userSpinnakerServiceSpec ?? { spinnakerConfig: { config: { version: USER_SPINNAKER_VERSION } } },
        };
        for (const [p, body] of [
            ...[namespace, ...userNamespaces].map((ns) => [`/api/v1/namespaces/${ns}`, { apiVersion: "v1", kind: "Namespace", metadata: { name: ns } }] as const),
            [`/apis/${spinnakerServiceApiVersion}/namespaces/${namespace}/spinnakerservices/${spinnakerServiceName}`, svc],
        ] as const) {
            const r = await cluster.request("PATCH", `${p}?fieldManager=${USER_MANAGER}`, JSON.stringify(body), "application/apply-patch+yaml");
            assert.ok(r.status < 300, `creating ${p}: ${r.status} ${r.body}`);
        }
        const policyArgs = ["--policy-pack", "policies", "--policy-pack-config", `policies/config/${stack}.json`];
        const stop = async () => {
            await cluster.stop();
            // E2E_KEEP=1 keeps the CLI's logs and the state for a look afterwards.
            if (process.env.E2E_KEEP) console.log(`      kept: ${ws.dir}`);
            else ws.remove();
        };
        const spinnakerServicePath = `/apis/${spinnakerServiceApiVersion}/namespaces/${namespace}/spinnakerservices/${spinnakerServiceName}`;
        return { cluster, ws, project, stack, namespace, spinnakerServiceName, spinnakerServicePath, config, policyArgs, stop };
    } catch (e) {
        await cluster.stop();
        if (!process.env.E2E_KEEP) ws.remove();
        throw e;
    }
}

/**
 * The keys Pulumi.yaml declares without a default that the stack leaves unset.
 * The real CLI (sdk/v3 go/common/workspace/config.go, mergeConfig) refuses to
 * run such a stack ("Stack 'x' is missing configuration values …"), and so
 * does the offline engine (engine/project.ts).
 */
export function keysMissingForCli(run: StackRun): { key: string; secret: boolean }[] {
    const project = parse(fs.readFileSync(path.join(run.project, "Pulumi.yaml"), "utf8")) as { config?: Record<string, { default?: unknown; value?: unknown; secret?: boolean }> };
    const stackFile = parse(fs.readFileSync(path.join(run.project, `Pulumi.${run.stack}.yaml`), "utf8")) as { config?: Record<string, unknown> };
    const set = new Set(Object.keys(stackFile.config ?? {}));
    return Object.entries(project.config ?? {})
        .filter(([k, v]) => v.default === undefined && v.value === undefined && !set.has(`spinnaker-mtls:${k}`) && !k.includes(":"))
        .map(([k, v]) => ({ key: k, secret: v.secret === true }));
}

export interface StateResource { urn: string; type: string; id?: string; custom?: boolean; outputs?: Record<string, unknown>; inputs?: Record<string, unknown>; created?: string; modified?: string }

/** The stack's resources from `pulumi stack export` (secrets stay ciphertext). */
export async function exportedResources(run: StackRun): Promise<StateResource[]> {
    const r = await run.ws.ok(["stack", "export"], run.project);
    return (JSON.parse(r.stdout) as { deployment: { resources?: StateResource[] } }).deployment.resources ?? [];
}

/** The API path of a Kubernetes object from its state outputs. */
export function apiPath(res: StateResource): string | undefined {
    const o = res.outputs ?? {};
    const apiVersion = String(o.apiVersion ?? "");
    const kind = String(o.kind ?? "");
    const md = (o.metadata ?? {}) as { name?: string; namespace?: string };
    if (!apiVersion || !kind || !md.name) return undefined;
    const plural = PLURALS[kind] ?? `${kind.toLowerCase()}s`;
    const base = apiVersion.includes("/") ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
    return md.namespace ? `${base}/namespaces/${md.namespace}/${plural}/${md.name}` : `${base}/${plural}/${md.name}`;
}

const PLURALS: Record<string, string> = {
    NetworkPolicy: "networkpolicies",
    PeerAuthentication: "peerauthentications",
    DestinationRule: "destinationrules",
    AuthorizationPolicy: "authorizationpolicies",
    PodDisruptionBudget: "poddisruptionbudgets",
    ClusterIssuer: "clusterissuers",
    Ingress: "ingresses",
    Gateway: "gateways",
};

export interface PolicyFinding { level: string; policy: string; resource: string; couldNotRun: boolean }

/**
 * The policy findings the CLI prints under "Policies:", e.g.
 * `- [mandatory] [severity: high]  spinnaker-client-auth-need  (kubernetes:…: name)`
 * and the message on the next line; couldNotRun when that message says the
 * policy could not run during preview (unknown values).
 */
export function policyFindings(stdout: string): PolicyFinding[] {
    // No "Policies:" section naming the pack means the pack did not run or the CLI's output
    // changed: either way "no findings" would be a parser matching nothing, so it is an error.
    if (!/^Policies:\s*\n\s*\S+ spinnaker-mtls@v\d/m.test(stdout)) throw new Error(`no "Policies:" section naming the spinnaker-mtls pack in the CLI's output:\n${stdout.slice(-3000)}`);
    const lines = stdout.split("\n");
    const out: PolicyFinding[] = [];
    lines.forEach((line, i) => {
        const m = /^\s*- \[(\w+)\]\s+(?:\[severity: \w+\]\s+)?(\S+)\s+\((.*)\)\s*$/.exec(line);
        if (m) out.push({ level: m[1], policy: m[2], resource: m[3], couldNotRun: /can't run policy/.test(lines[i + 1] ?? "") });
    });
    return out;
}

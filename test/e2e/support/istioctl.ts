// Runs Istio's analyzers over a set of Kubernetes objects written to files,
// with the two commands test/e2e/build/istio/build.sh builds from the
// istio.io/istio module, and returns their messages as `-o json` prints them:
//
// - istioctl itself, `istioctl analyze --use-kube=false`: offline, it reads
//   Services, Pods, Namespaces, Nodes and Secrets only from a live cluster, so
//   it skips every analyzer that needs one of them;
// - analyzefiles (test/e2e/build/istio/analyzefiles): the same analyzers and
//   defaults, reading those kinds from the files too.
import { spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { stringify } from "yaml";
import { tempDir } from "../../support/stacks";

/** A Kubernetes object, as written to a manifest. */
export interface KubeObject {
    apiVersion: string;
    kind: string;
    metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    [field: string]: any;
}

/** One message of `istioctl analyze -o json` (istio.io/istio pkg/config/analysis/diag Message.Unstructured). */
export interface AnalyzeMessage {
    readonly code: string;
    readonly level: "Error" | "Warning" | "Info";
    /** The resource, as `<Kind> <namespace>/<name>`. */
    readonly origin?: string;
    readonly reference?: string;
    readonly message: string;
    readonly documentationUrl: string;
}

export interface AnalyzeOutcome {
    readonly messages: AnalyzeMessage[];
    /** What istioctl wrote to stderr: file parse errors are reported only there. */
    readonly stderr: string;
    readonly exitCode: number;
    /** The analyzers it skipped because their input kinds were not in the snapshot (from -v for istioctl). */
    readonly skipped: string[];
    /** The command line, for failure messages. */
    readonly command: string;
}

const ENV_KEYS = ["E2E_ISTIOCTL", "E2E_ISTIO_ANALYZE_FILES", "E2E_ISTIO_VERSION", "E2E_ISTIO_MISSING"] as const;

/**
 * Sets the E2E_ISTIO* variables from test/e2e/build/istio/build.sh's env
 * file when the caller (e2e.sh, .ci/run) has not: the script reuses its cached
 * build in seconds, and builds it (niced, about half an hour on two cores)
 * when there is none.
 */
export function ensureIstioEnv(projectRoot: string): void {
    if (process.env.E2E_ISTIOCTL) return;
    const script = path.join(projectRoot, "test", "e2e", "build", "istio", "build.sh");
    const r = spawnSync("bash", ["-c", `set -e; source "$(bash '${script}')"; ${ENV_KEYS.map((k) => `printf '%s\\0' "\${${k}:-}"`).join("; ")}`], {
        encoding: "utf8",
        stdio: ["ignore", "pipe", "inherit"],
        maxBuffer: 1 << 20,
    });
    if (r.status !== 0) throw new Error(`${script} failed (exit ${r.status ?? r.signal}); its output is above`);
    const values = r.stdout.split("\0");
    ENV_KEYS.forEach((k, i) => (process.env[k] = values[i] ?? ""));
}

export type Analyzer = "istioctl" | "analyzefiles";

/** A binary from the env file of test/e2e/build/istio/build.sh; throws with the reason when it is missing, so tests fail rather than skip. */
export function istioBinary(which: Analyzer): string {
    const missing = process.env.E2E_ISTIO_MISSING;
    if (missing) throw new Error(`${which} is missing: ${missing}`);
    const key = which === "istioctl" ? "E2E_ISTIOCTL" : "E2E_ISTIO_ANALYZE_FILES";
    const bin = process.env[key];
    if (!bin) throw new Error(`${key} is not set: run through test/e2e/build/istio/build.sh's env file (source "$(bash test/e2e/build/istio/build.sh)")`);
    if (!fs.existsSync(bin)) throw new Error(`${key}=${bin} does not exist: run bash test/e2e/build/istio/build.sh`);
    return bin;
}

/** `<Kind> <namespace>/<name>` as istioctl names a resource in a message's origin. */
export const originOf = (o: KubeObject): string => `${o.kind} ${o.metadata.namespace ? `${o.metadata.namespace}/` : ""}${o.metadata.name}`;

function run(bin: string, args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
    return new Promise((resolve, reject) => {
        const child = spawn(bin, args, { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, HOME: process.env.HOME ?? "/tmp" } });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (d: Buffer) => (stdout += d.toString("utf8")));
        child.stderr.on("data", (d: Buffer) => (stderr += d.toString("utf8")));
        child.on("error", reject);
        child.on("close", (code) => resolve({ stdout, stderr, code: code ?? -1 }));
    });
}

/**
 * `istioctl analyze --use-kube=false --all-namespaces -o json <one file per
 * object>`, or `analyzefiles <files>`: offline, with the defaults istioctl adds
 * for files-only analysis (the default mesh config, and a stand-in ingress
 * gateway Pod and Service in istio-system:
 * pkg/config/analysis/local/defaults.go). --all-namespaces because the
 * objects live in spinnaker and istio-system, and without it istioctl reports
 * only on the `default` namespace. Objects are written one per file, so a
 * parse error names its object.
 */
export async function analyze(objects: readonly KubeObject[], which: Analyzer): Promise<AnalyzeOutcome> {
    const bin = istioBinary(which);
    const { dir, remove } = tempDir("istioctl-analyze");
    try {
        const files = objects.map((o, i) => {
            const file = path.join(dir, `${String(i).padStart(3, "0")}-${o.kind}-${o.metadata.namespace ?? "cluster"}-${o.metadata.name}.yaml`);
            // Test keys only (the cert-manager stand-ins), but still nobody else's to read.
            fs.writeFileSync(file, stringify(o), { mode: 0o600 });
            return file;
        });
        const flags = which === "istioctl" ? ["analyze", "--use-kube=false", "--all-namespaces", "-o", "json", "--color=false", "--verbose"] : [];
        const r = await run(bin, [...flags, ...files]);
        const command = `${bin} ${flags.join(" ")} <${files.length} files>`;
        let messages: AnalyzeMessage[];
        try {
            // An empty message list prints as [] (or null, from a nil slice).
            messages = (JSON.parse(r.stdout) as AnalyzeMessage[] | null) ?? [];
        } catch {
            throw new Error(`${command}: exit ${r.code}, stdout is not JSON:\n${r.stdout}\n${r.stderr}`);
        }
        return { messages, stderr: r.stderr, exitCode: r.code, command, skipped: skippedAnalyzers(r.stderr) };
    } finally {
        remove();
    }
}

/** istioctl -v lists them one per line after "Skipped analyzers:"; analyzefiles prints "Skipped analyzers: [a b]". */
function skippedAnalyzers(stderr: string): string[] {
    const inline = /^Skipped analyzers: \[(.*)\]$/m.exec(stderr);
    if (inline) return inline[1].split(" ").filter(Boolean);
    const block = /^Skipped analyzers:\n((?:\t.*\n)*)/m.exec(stderr);
    return block ? block[1].split("\n").map((l) => l.trim()).filter(Boolean) : [];
}

/** `IST0101 Error Gateway istio-system/x: message`, one line per message, for assertion messages. */
export const describeMessages = (ms: readonly AnalyzeMessage[]): string => (ms.length === 0 ? "(none)" : ms.map((m) => `${m.code} ${m.level} ${m.origin ?? "-"}: ${m.message}`).join("\n"));

/** A message's identity across runs: code, resource and text. */
export const messageKey = (m: AnalyzeMessage): string => `${m.code}|${m.origin ?? ""}|${m.message}`;

// Runs the real Pulumi CLI (from test/e2e/build/toolchain/build.sh) against a file
// backend in a temporary folder, with the passphrase secrets provider. Each
// workspace has its own backend, passphrase and KUBECONFIG; nothing touches
// the user's ~/.pulumi or ~/.kube.
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { NO_KUBELET_ENV } from "../../../components/kubernetes/skipAwait";
import { typeCheckedBefore } from "../../../engine/packTypeChecks";
import { POLICY_PACK_DIR } from "../../../engine/paths";
import { runGroup } from "./processes";

export interface CliResult { code: number; stdout: string; stderr: string }

export interface Workspace {
    /** Folder of the backend, logs and anything else of this run. */
    dir: string;
    env: NodeJS.ProcessEnv;
    /** Runs `pulumi ARGS` in cwd; resolves whatever the exit code. */
    run(args: string[], cwd: string, timeoutMs?: number): Promise<CliResult>;
    /** As run, but rejects with the output's tail when the exit code is not 0. */
    ok(args: string[], cwd: string, timeoutMs?: number): Promise<CliResult>;
    remove(): void;
}

/**
 * The CLI's run-policy-pack type-checks the pack on every start (ts-node,
 * typeCheck true): about 2 s of each preview and up here. Sources that have
 * passed that check already (a record per digest: engine/packTypeChecks.ts)
 * start transpile-only, through the same preload the commands use; what the
 * pack decides is the same. New or edited sources are still type-checked, by
 * the CLI itself. SPINNAKER_MTLS_PACK_TYPECHECK=always turns this off.
 */
export function packTranspileOnlyEnv(nodeOptions: string | undefined): NodeJS.ProcessEnv {
    if (!typeCheckedBefore(POLICY_PACK_DIR).known) return {};
    const preload = `--require "${path.join(__dirname, "..", "..", "..", "engine", "packTranspileOnly.js")}"`;
    return { NODE_OPTIONS: nodeOptions ? `${nodeOptions} ${preload}` : preload };
}

export function createWorkspace(kubeconfig: string): Workspace {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "spinnaker-mtls-e2e-"));
    fs.mkdirSync(path.join(dir, "backend"));
    const env: NodeJS.ProcessEnv = {
        ...process.env,
        PULUMI_BACKEND_URL: `file://${path.join(dir, "backend")}`,
        // Random per run: the test never needs to know it, only the CLI does.
        PULUMI_CONFIG_PASSPHRASE: crypto.randomBytes(16).toString("hex"),
        PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
        PULUMI_SKIP_UPDATE_CHECK: "true",
        PULUMI_SKIP_CONFIRMATIONS: "true",
        KUBECONFIG: kubeconfig,
        NO_COLOR: "1",
        // This cluster runs no kubelet: the program marks what would wait on pods pulumi.com/skipAwait.
        [NO_KUBELET_ENV]: "1",
        ...packTranspileOnlyEnv(process.env.NODE_OPTIONS),
    };
    let n = 0;
    const run = async (args: string[], cwd: string, timeoutMs = 600_000): Promise<CliResult> => {
        const log = path.join(dir, `${String(++n).padStart(2, "0")}-${args[0]}.log`);
        // Its own process group with its plugins: a timeout sends SIGTERM, then SIGKILL.
        const r = await runGroup("pulumi", "pulumi", [...args, "--non-interactive"], { cwd, env, timeoutMs });
        fs.writeFileSync(log, `$ pulumi ${args.join(" ")}\n${r.stdout}\n--- stderr\n${r.stderr}${r.timedOut ? `\n--- timed out after ${timeoutMs} ms` : ""}`);
        return { code: r.timedOut ? -1 : r.code, stdout: r.stdout, stderr: r.stderr };
    };
    const ok = async (args: string[], cwd: string, timeoutMs?: number) => {
        const r = await run(args, cwd, timeoutMs);
        if (r.code !== 0) {
            const out = `${r.stdout}\n${r.stderr}`.split("\n").slice(-60).join("\n");
            throw new Error(`pulumi ${args.join(" ")} exited ${r.code}:\n${out}`);
        }
        return r;
    };
    return { dir, env, run, ok, remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** Why the real-engine tests cannot run here, or undefined when they can. */
export function missingToolchain(needs: string[]): string | undefined {
    const dir = process.env.E2E_TOOLCHAIN_DIR;
    if (!dir || !fs.existsSync(path.join(dir, "bin", "pulumi"))) {
        return "no toolchain: run `source \"$(bash test/e2e/build/toolchain/build.sh)\"` first (E2E_TOOLCHAIN_DIR unset)";
    }
    const missing = (process.env.E2E_MISSING ?? "").split(/\s+/).filter((m) => needs.includes(m));
    if (missing.length > 0) {
        const hint = missing.some((m) => STAND_IN_PARTS.includes(m))
            ? "; this project's stand-ins for them come from `source \"$(bash test/e2e/build/standins/build.sh)\"`"
            : "";
        return `the toolchain lacks ${missing.join(", ")} (refused by the Go module proxy; see ${path.join(dir, "status.tsv")})${hint}`;
    }
    // Servers and language hosts are in bin/, providers in providers/ (off PATH),
    // in the toolchain's folder or, for stand-ins, in the stand-ins' folder.
    const dirs = [dir, process.env.E2E_STANDINS_DIR].filter((d): d is string => !!d);
    const absent = needs.filter((b) => !dirs.some((root) => ["bin", "providers"].some((d) => fs.existsSync(path.join(root, d, b)))));
    return absent.length > 0 ? `the toolchain lacks ${absent.join(", ")}` : undefined;
}

/** The parts test/e2e/build/standins/build.sh stands in for. */
const STAND_IN_PARTS = ["pulumi-language-nodejs", "pulumi-resource-tls", "pulumi-resource-random"];

/**
 * Which of `needs` run on this project's stand-ins rather than upstream builds
 * (E2E_STANDINS, from the stand-ins' env file), with each one's label from
 * its status.tsv, so that a test's title and output can say so.
 */
export function standIns(needs: string[]): { name: string; label: string; detail: string }[] {
    const names = (process.env.E2E_STANDINS ?? "").split(/\s+/).filter((n) => needs.includes(n));
    const statusFile = process.env.E2E_STANDINS_DIR ? path.join(process.env.E2E_STANDINS_DIR, "status.tsv") : "";
    const rows = statusFile && fs.existsSync(statusFile)
        ? fs.readFileSync(statusFile, "utf8").split("\n").filter(Boolean).map((l) => l.split("\t"))
        : [];
    return names.map((name) => {
        const row = rows.find((r) => r[0] === name);
        return { name, label: row?.[2] ?? "stand-in", detail: row?.[3] ?? "" };
    });
}

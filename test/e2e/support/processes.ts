// Every long-lived process the e2e suites start (kine, the API server, the
// controller manager, cert-manager, the Pulumi CLI with its plugins, the Go
// peer's server) goes through here: each in a process group of its own, so
// that stopping it stops its children too; SIGTERM first, SIGKILL after a
// grace period; and each group written to the run's registry
// ($E2E_PROCESS_REGISTRY, set by test/e2e/run.sh), so that an interrupted run
// is cleaned up by run.sh's trap, or by its reaper when run.sh itself is
// killed (test/e2e/support/reaper.sh).
import { ChildProcess, spawn, SpawnOptions } from "child_process";
import * as fs from "fs";

/** How long a process gets between SIGTERM and SIGKILL. */
export const STOP_GRACE_MS = 10_000;

const live = new Set<ChildProcess>();

function register(child: ChildProcess, name: string): void {
    live.add(child);
    child.once("exit", () => live.delete(child));
    const registry = process.env.E2E_PROCESS_REGISTRY;
    // The group's id is the child's pid (detached: it leads a new group).
    if (registry && child.pid !== undefined) fs.appendFileSync(registry, `${child.pid}\t${name}\n`);
}

// A test process that ends with a server still running (a failed before-hook, say) takes it down with it.
process.on("exit", () => {
    for (const child of live) {
        try {
            if (child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
        } catch {
            // already gone
        }
    }
});

/** Starts `bin` in its own process group, registered for cleanup. */
export function startGroup(name: string, bin: string, args: readonly string[], options: SpawnOptions = {}): ChildProcess {
    const child = spawn(bin, args, { ...options, detached: true });
    register(child, name);
    return child;
}

const signalGroup = (child: ChildProcess, signal: NodeJS.Signals): boolean => {
    try {
        process.kill(-child.pid!, signal);
        return true;
    } catch {
        return false;
    }
};

/** Stops a group started by startGroup: SIGTERM, then SIGKILL after `graceMs`; resolves once the leader has exited. */
export async function stopGroup(child: ChildProcess | undefined, graceMs = STOP_GRACE_MS): Promise<void> {
    if (!child || child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    if (!signalGroup(child, "SIGTERM")) return;
    const timer = setTimeout(() => signalGroup(child, "SIGKILL"), graceMs);
    await exited;
    clearTimeout(timer);
    // The leader is gone; anything it left in its group goes too.
    signalGroup(child, "SIGKILL");
}

export interface GroupResult {
    /** The exit code; -1 when the process was ended by a signal (a timeout included). */
    code: number;
    stdout: string;
    stderr: string;
    timedOut: boolean;
}

/**
 * Runs `bin` to completion in its own group, collecting its output. On
 * timeout the group gets SIGTERM, then SIGKILL after the grace period, so a
 * CLI that ignores SIGTERM (or a plugin it started) cannot outlive the test.
 */
export function runGroup(name: string, bin: string, args: readonly string[], options: SpawnOptions & { timeoutMs: number; graceMs?: number }): Promise<GroupResult> {
    const { timeoutMs, graceMs = STOP_GRACE_MS, ...spawnOptions } = options;
    return new Promise((resolve, reject) => {
        const child = startGroup(name, bin, args, { ...spawnOptions, stdio: ["ignore", "pipe", "pipe"] });
        let stdout = "";
        let stderr = "";
        let timedOut = false;
        child.stdout!.on("data", (d: Buffer) => (stdout += d.toString("utf8")));
        child.stderr!.on("data", (d: Buffer) => (stderr += d.toString("utf8")));
        child.on("error", reject);
        const timer = setTimeout(() => {
            timedOut = true;
            void stopGroup(child, graceMs);
        }, timeoutMs);
        child.on("close", (code) => {
            clearTimeout(timer);
            // Plugins the leader left behind in its group.
            signalGroup(child, "SIGKILL");
            resolve({ code: code ?? -1, stdout, stderr, timedOut });
        });
    });
}

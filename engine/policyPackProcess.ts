// The policy pack's own process, started as the Pulumi CLI starts it
// (`@pulumi/pulumi/cmd/run-policy-pack` in the pack's folder), apart from the
// gRPC client that talks to it (policyHost.ts). Light to import, so a command
// can start the pack before it loads the modules that take seconds, and have
// the pack's start overlap its own (tools/graph/earlyPolicyPack.ts).
import { ChildProcess, spawn } from "child_process";
import * as path from "path";
import { typeCheckedBefore } from "./packTypeChecks";

/** How run-policy-pack reports a module of the pack that failed to load. */
export const LOAD_FAILURE = /Unable to compile TypeScript|failed with an unhandled exception/;

export interface PolicyPackProcess {
    readonly packDir: string;
    readonly child: ChildProcess;
    /** The port it serves on; rejects with the pack's output when it fails to load, exits or times out. */
    readonly port: Promise<number>;
    /** What the pack has written to stderr so far. */
    stderr(): string;
    /** Stops the process; safe to call twice. */
    kill(): void;
}

/**
 * Spawns the pack. The first start of a set of pack sources type-checks them,
 * as the CLI does; later starts of the very same sources skip the check
 * (packTypeChecks.ts). The process is killed when this one exits, whatever
 * the way it exits.
 */
export function spawnPolicyPack(packDir: string, timeoutMs = 180_000): PolicyPackProcess {
    const runner = require.resolve("@pulumi/pulumi/cmd/run-policy-pack", { paths: [packDir] });
    const checked = typeCheckedBefore(packDir);
    const preload = checked.known ? ["--require", path.join(__dirname, "packTranspileOnly.js")] : [];
    // The CLI passes its engine address first; the policy SDK does not call back, so any address serves.
    const child = spawn(process.execPath, [...preload, runner, "127.0.0.1:0", "."], { cwd: packDir, stdio: ["ignore", "pipe", "pipe"] });
    const kill = () => {
        if (child.exitCode === null && child.signalCode === null && !child.killed) child.kill();
    };
    process.once("exit", kill);
    child.once("exit", () => process.removeListener("exit", kill));
    let stderr = "";
    child.stderr!.on("data", (b: Buffer) => (stderr += b.toString()));
    const port = new Promise<number>((resolve, reject) => {
        let stdout = "";
        const timer = setTimeout(() => fail(new Error(`policy pack in ${packDir} did not start within ${timeoutMs / 1000}s`)), timeoutMs);
        const fail = (e: Error) => {
            clearTimeout(timer);
            kill();
            reject(new Error(`${e.message}\n${stderr.trim()}`));
        };
        const onExit = (code: number | null) => fail(new Error(`policy pack in ${packDir} exited (code ${code}) before serving${stdout.trim() ? `: ${stdout.trim()}` : ""}`));
        child.stdout!.on("data", (b: Buffer) => {
            stdout += b.toString();
            const m = /^(\d+)\s*$/m.exec(stdout);
            if (!m) return;
            if (LOAD_FAILURE.test(stderr)) {
                fail(new Error(`policy pack in ${packDir} failed to load`));
                return;
            }
            clearTimeout(timer);
            child.removeListener("exit", onExit);
            // Served: these sources type-check (or had before).
            if (!checked.known) checked.record();
            resolve(Number(m[1]));
        });
        child.on("exit", onExit);
        child.on("error", fail);
    });
    // Whoever connects sees a failure; until then it is not an unhandled rejection.
    port.catch(() => undefined);
    return { packDir, child, port, stderr: () => stderr, kill };
}

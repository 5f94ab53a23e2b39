// An interrupted `npm run e2e` leaves nothing behind. A nested run of the
// smoke suite is started as a user or CI would start it, killed once its
// cluster is up (Ctrl-C to its process group; a CI kill of the whole group
// with SIGKILL, which no trap sees), and then no process of any group it
// registered is alive, no process names its run folder, and the folder is
// gone.
import * as assert from "assert";
import { ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { REPO } from "./support/stackRun";

const until = async <T>(what: string, timeoutMs: number, probe: () => T | undefined): Promise<T> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
        const v = probe();
        if (v !== undefined) return v;
        if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 250));
    }
};

/**
 * Whether a process group has a member that is not a zombie. A process killed
 * after its parent has gone waits as a zombie until init reaps it; kill(2)
 * still finds it, though it runs nothing and holds no port.
 */
const groupAlive = (pgid: number): boolean => {
    for (const pid of fs.readdirSync("/proc").filter((p) => /^[0-9]+$/.test(p))) {
        try {
            const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
            const [state, , pgrp] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
            if (Number(pgrp) === pgid && state !== "Z") return true;
        } catch {
            // gone meanwhile
        }
    }
    return false;
};

/** Processes whose command line or working folder names `dir`. */
function processesIn(dir: string): string[] {
    const found: string[] = [];
    for (const pid of fs.readdirSync("/proc").filter((p) => /^[0-9]+$/.test(p))) {
        try {
            const cmd = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0/g, " ");
            const cwd = fs.readlinkSync(`/proc/${pid}/cwd`);
            if (cmd.includes(dir) || cwd.startsWith(dir)) found.push(`${pid}: ${cmd.trim()}`);
        } catch {
            // gone meanwhile, or not ours to read
        }
    }
    return found;
}

interface NestedRun { child: ChildProcess; runDir: string; registry: () => { pgid: number; name: string }[]; output: () => string }

/** `npm run e2e -- test/e2e/smoke.e2e.test.ts`, as its own process group, once its API server runs. */
async function startNestedRun(): Promise<NestedRun> {
    const child = spawn("bash", ["test/e2e/run.sh", "test/e2e/smoke.e2e.test.ts"], { cwd: REPO, detached: true, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout!.on("data", (d: Buffer) => (out += d.toString("utf8")));
    child.stderr!.on("data", (d: Buffer) => (out += d.toString("utf8")));
    const runDir = await until("the nested run's folder", 300_000, () => /^\[e2e\] run folder: (.+)$/m.exec(out)?.[1]);
    const registry = () =>
        fs.existsSync(path.join(runDir, "processes"))
            ? fs.readFileSync(path.join(runDir, "processes"), "utf8").split("\n").filter(Boolean).map((l) => ({ pgid: Number(l.split("\t")[0]), name: l.split("\t")[1] }))
            : [];
    await until("the nested run's kube-apiserver", 300_000, () => {
        if (child.exitCode !== null) throw new Error(`the nested run ended early (${child.exitCode}):\n${out}`);
        return registry().some((p) => p.name === "kube-apiserver") ? true : undefined;
    });
    return { child, runDir, registry, output: () => out };
}

describe("an interrupted e2e run leaves nothing behind", function () {
    this.timeout(900_000);

    for (const how of [
        { title: "Ctrl-C: SIGINT to the run's process group", signal: "SIGINT" as const },
        { title: "a CI kill: SIGKILL to the run's whole process group", signal: "SIGKILL" as const },
    ]) {
        it(how.title, async () => {
            const run = await startNestedRun();
            const groups = run.registry();
            assert.ok(groups.some((g) => g.name === "kine") && groups.some((g) => g.name === "mocha"), `registered: ${JSON.stringify(groups)}`);
            process.kill(-run.child.pid!, how.signal);
            await until("every registered process group to end", 60_000, () => (run.registry().length === 0 || groups.every((g) => !groupAlive(g.pgid)) ? true : undefined));
            await until("the run folder to go", 60_000, () => (fs.existsSync(run.runDir) ? undefined : true));
            assert.deepStrictEqual(groups.filter((g) => groupAlive(g.pgid)), [], "no registered group is alive");
            // The reaper notices the folder is gone within a second, then exits.
            await until("no process to name the run folder", 15_000, () => (processesIn(run.runDir).length === 0 ? true : undefined)).catch(() => undefined);
            assert.deepStrictEqual(processesIn(run.runDir), [], "no process names the run folder");
        });
    }
});

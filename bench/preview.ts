// `pulumi preview` wall time under the real CLI (issue 12): dev and prod
// against a throwaway kube-apiserver, beside the floor, a one-resource
// program (bench/floor) under the same CLI and providers. Not a test: prints
// a Markdown table. Each stack is new (nothing deployed), as a pull request
// that adds it would preview it; every measurement is a new CLI process.
//
//   npm run bench:preview            (3 runs per case, median reported)
//   npm run bench:preview -- 5
//
// The Node.js language host and the tls/random providers are this project's
// stand-ins (test/e2e/build/standins): the module proxy refuses
// upstream's. The cases run in turn within each repetition.
import * as fs from "fs";
import * as path from "path";
import { startCluster } from "../test/e2e/support/cluster";
import { createWorkspace, missingToolchain } from "../test/e2e/support/pulumiCli";
import { PROGRAM_NEEDS, REPO } from "../test/e2e/support/stackRun";

const reps = Number(process.argv[2] ?? 3);
if (!Number.isInteger(reps) || reps < 1 || reps > 99) {
    process.stderr.write("usage: npm run bench:preview [-- <runs per case, 1 to 99>]\n");
    process.exit(2);
}

interface Case { readonly label: string; readonly dir: string; readonly stack: string; readonly args: string[] }

async function main(): Promise<void> {
    const why = missingToolchain(PROGRAM_NEEDS);
    if (why) throw new Error(why);
    const cluster = await startCluster({ toolchainDir: process.env.E2E_TOOLCHAIN_DIR! });
    const ws = createWorkspace(cluster.kubeconfig);
    try {
        // Copies, so that `stack init` and the CLI's files never touch the repository.
        const copy = (name: string, files: string[], from = REPO): string => {
            const dir = path.join(ws.dir, name);
            fs.mkdirSync(dir);
            for (const f of files) fs.cpSync(path.join(from, f), path.join(dir, f), { recursive: true });
            fs.symlinkSync(path.join(REPO, "node_modules"), path.join(dir, "node_modules"));
            return dir;
        };
        const project = copy("project", ["Pulumi.yaml", "Pulumi.dev.yaml", "Pulumi.prod.yaml", "index.ts", "package.json", "tsconfig.json", "tsconfig.pulumi.json", "components", "lib", "policies"]);
        const floor = copy("floor", ["Pulumi.yaml", "index.ts"], path.join(REPO, "bench", "floor"));
        // The floor transpiles only, as the program does under the CLI (tsconfig.pulumi.json).
        const tsconfig = JSON.parse(fs.readFileSync(path.join(REPO, "tsconfig.json"), "utf8")) as { compilerOptions: Record<string, unknown> };
        fs.writeFileSync(path.join(floor, "tsconfig.json"), JSON.stringify({ ...tsconfig, compilerOptions: { ...tsconfig.compilerOptions, noCheck: true } }));
        fs.writeFileSync(path.join(floor, "package.json"), JSON.stringify({ name: "bench-floor", main: "index.ts" }));
        for (const [dir, stack] of [[floor, "bench"], [project, "dev"], [project, "prod"]]) {
            await ws.ok(["stack", "init", stack, "--secrets-provider", "passphrase"], dir);
            await ws.ok(["stack", "select", stack], dir);
        }
        for (const stack of ["dev", "prod"]) {
            await ws.ok(["config", "set", "--stack", stack, "spinnaker-mtls:halyardDir", path.join(ws.dir, `halyard-${stack}`)], project);
        }
        const pack = (stack: string) => ["--policy-pack", path.join(project, "policies"), "--policy-pack-config", path.join(project, "policies", "config", `${stack}.json`)];
        // Each case is set against the floor run the same way: with the pack, the floor pays
        // for starting it too (the CLI's policy-pack runner type-checks a TypeScript pack).
        const FLOOR = "floor: one RandomPassword";
        const FLOOR_PACK = "floor, with the policy pack";
        const cases: (Case & { floor: string })[] = [
            { label: FLOOR, dir: floor, stack: "bench", args: [], floor: FLOOR },
            { label: FLOOR_PACK, dir: floor, stack: "bench", args: pack("dev"), floor: FLOOR_PACK },
            { label: "dev stack", dir: project, stack: "dev", args: [], floor: FLOOR },
            { label: "dev stack, with the policy pack", dir: project, stack: "dev", args: pack("dev"), floor: FLOOR_PACK },
            { label: "prod stack", dir: project, stack: "prod", args: [], floor: FLOOR },
            { label: "prod stack, with the policy pack", dir: project, stack: "prod", args: pack("prod"), floor: FLOOR_PACK },
        ];
        const times = new Map<string, number[]>(cases.map((c) => [c.label, []]));
        const steps = new Map<string, string>();
        for (let i = 0; i < reps; i++) {
            for (const c of cases) {
                const start = process.hrtime.bigint();
                const r = await ws.ok(["preview", "--stack", c.stack, ...c.args], c.dir, 1_200_000);
                times.get(c.label)!.push(Number(process.hrtime.bigint() - start) / 1e9);
                steps.set(c.label, (/^Resources:\s*\n\s*(.*)$/m.exec(r.stdout)?.[1] ?? "").trim());
                process.stderr.write(`${c.label}: ${times.get(c.label)!.at(-1)!.toFixed(1)} s\n`);
            }
        }
        const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
        const lines = ["| case | resources | wall time (median of " + reps + ") | vs its floor |", "|---|---|---|---|"];
        for (const c of cases) {
            const t = median(times.get(c.label)!);
            lines.push(`| ${c.label} | ${steps.get(c.label)} | ${t.toFixed(1)} s | ${(t / median(times.get(c.floor)!)).toFixed(2)}x |`);
        }
        process.stdout.write(lines.join("\n") + "\n");
    } finally {
        await cluster.stop();
        ws.remove();
    }
}

main().catch((e: unknown) => {
    process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
});

// npm run render [-- --stack <name>]
//
// Renders the manifests with the Pulumi CLI and no cluster: `pulumi up` on a
// stack in render mode (the `local` stack by default), against a file backend
// chosen by environment variable for this run only, so the user's own
// `pulumi login` is never changed. The policy pack runs as on any preview.
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { CommandHelp, EXIT_ERROR, EXIT_NO, EXIT_OK, progress, runCommand } from "../engine/command";
import { parseFlags } from "../engine/flags";
import { loadProject, loadStackConfig } from "../engine/project";
import { PROJECT_ROOT } from "../engine/run";
import { policyConfigFor } from "../engine/verify";

const USAGE = "usage: npm run render [-- --stack <name>]   (default: local)";

export const HELP: CommandHelp = {
    usage: USAGE,
    summary:
        "Renders a render-mode stack's manifests with the Pulumi CLI and no cluster: pulumi up, with the policy pack,\n" +
        "against a file backend in .pulumi-local/ chosen for this run only (PULUMI_BACKEND_URL; your pulumi login is\n" +
        "untouched). The local backend's passphrase is empty unless PULUMI_CONFIG_PASSPHRASE(_FILE) is set.",
    flags: [["--stack <name>", "a stack that sets renderYamlToDirectory (default: local)"]],
    examples: ["npm run render", "ls out/render/local/1-manifest"],
    exit1: "pulumi up failed: a mandatory policy violation, or any failure of the Pulumi CLI (its output says which)",
};
export const DEFAULT_RENDER_STACK = "local";
/** The file backend render mode uses unless PULUMI_BACKEND_URL says otherwise: inside the project, git-ignored. */
export const LOCAL_BACKEND_DIR = path.join(PROJECT_ROOT, ".pulumi-local");

export interface RenderPlan {
    readonly stack: string;
    readonly renderDir: string;
    /** Environment for the CLI: the caller's, plus the backend and passphrase defaults. */
    readonly env: NodeJS.ProcessEnv;
    readonly commands: string[][];
}

/** What `npm run render` will run, without running it. Throws when the stack is not in render mode. */
export function renderPlan(stack: string, env: NodeJS.ProcessEnv): RenderPlan {
    const project = loadProject(PROJECT_ROOT);
    const key = `${project.name}:renderYamlToDirectory`;
    const renderDir = loadStackConfig(project, stack).values[key];
    if (!renderDir) throw new Error(`stack ${stack} does not set ${key}: npm run render only renders manifests; deploy a stack to a cluster with pulumi up`);
    const out: NodeJS.ProcessEnv = { ...env, PULUMI_SKIP_UPDATE_CHECK: "true" };
    out.PULUMI_BACKEND_URL ??= `file://${LOCAL_BACKEND_DIR}`;
    // The local file backend keeps secrets under a passphrase; a render-only stack may use the empty one.
    if (out.PULUMI_CONFIG_PASSPHRASE === undefined && out.PULUMI_CONFIG_PASSPHRASE_FILE === undefined) out.PULUMI_CONFIG_PASSPHRASE = "";
    const policy = ["--policy-pack", "policies", "--policy-pack-config", path.relative(PROJECT_ROOT, policyConfigFor(stack))];
    return {
        stack,
        renderDir: path.resolve(PROJECT_ROOT, renderDir),
        env: out,
        commands: [
            ["pulumi", "stack", "select", "--create", stack, "--non-interactive"],
            ["pulumi", "up", "--stack", stack, "--yes", "--non-interactive", ...policy],
        ],
    };
}

/** Every file under a directory, relative to it, sorted. */
function filesUnder(dir: string): string[] {
    if (!fs.existsSync(dir)) return [];
    return fs
        .readdirSync(dir, { withFileTypes: true, recursive: true })
        .filter((e) => e.isFile())
        .map((e) => path.relative(dir, path.join(e.parentPath, e.name)))
        .sort();
}

function main(stack: string): number {
    const plan = renderPlan(stack, process.env);
    const version = spawnSync("pulumi", ["version"], { env: plan.env, encoding: "utf8" });
    if (version.error) {
        console.error(
            "The Pulumi CLI is not installed (https://www.pulumi.com/docs/iac/download-install/).\n" +
                `Without it, check the same resources offline: npm run verify -- --stack ${stack}`,
        );
        return EXIT_ERROR;
    }
    if (plan.env.PULUMI_BACKEND_URL === `file://${LOCAL_BACKEND_DIR}`) fs.mkdirSync(LOCAL_BACKEND_DIR, { recursive: true });
    progress(`Pulumi ${version.stdout.trim()}, backend ${plan.env.PULUMI_BACKEND_URL} (this run only), stack ${stack}`);
    for (const [cmd, ...args] of plan.commands) {
        progress(`running: ${[cmd, ...args].join(" ")}`);
        const r = spawnSync(cmd, args, { env: plan.env, cwd: PROJECT_ROOT, stdio: "inherit" });
        // Whatever the CLI's own code, the contract's: it ran and said no.
        if (r.status !== 0) return EXIT_NO;
    }
    const files = filesUnder(plan.renderDir);
    // The rendered Secrets hold private keys and passwords in plain text: their owner's to read, no one else's.
    for (const f of files) fs.chmodSync(path.join(plan.renderDir, f), 0o600);
    console.log(`${files.length} manifests under ${path.relative(PROJECT_ROOT, plan.renderDir)}/ (Secrets in plain text: keep the folder out of git)`);
    return EXIT_OK;
}

if (require.main === module) runCommand(HELP, (argv) => parseFlags(argv, { values: ["stack"] }, USAGE).values.stack ?? DEFAULT_RENDER_STACK, main);

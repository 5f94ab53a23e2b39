// npm run rotation -- status --stack <name> [--kubeconfig <file>] [--context <name>] [--json] [--config|--config-file|--secret-file|--secret-env <key>=...]...
//
// Where a CA rotation stands in the cluster, per consumer (each certified
// service, each in-cluster Redis): whether its Secret holds what the stack's
// caRotation phase puts there (the CA roots in ca.crt, by fingerprint, and
// which of them signed tls.crt), and whether every one of its pods started
// with that Secret (its checksum annotation). `pulumi up` of the next phase
// reads the same things and refuses to step while any consumer is behind.
// Nothing secret is shown: certificates and fingerprints are public.
import "../engine/transpileCache";
import { RawConfig, StackConfig, StackConfigError, parseStackConfig } from "../components/config";
import { CONFIG_NAMESPACE } from "../components/config/keys";
import { ClusterReader, KubeconfigError, clusterReader } from "../components/kubernetes/clusterReader";
import { ConsumerStatus, phaseExpectation } from "../components/pki/rotationStatus";
import { observeConsumers, probeRedis, rotationConsumers } from "../components/spinnakerMtls/rotationObservation";
import { CommandHelp, EXIT_ERROR, EXIT_NO, EXIT_OK, runCommand } from "../engine/command";
import { CONFIG_FLAG_HELP, CONFIG_PAIR_FLAGS, readConfigInputs } from "../engine/configInputs";
import { UsageError, parseFlags } from "../engine/flags";
import { loadProject, readStackConfig } from "../engine/project";
import { PROJECT_ROOT } from "../engine/run";

const USAGE =
    "usage: npm run rotation -- status --stack <name> [--kubeconfig <file>] [--context <name>] [--redis <host:port>] [--redis-go <host:port>] [--json] [--config|--config-file|--secret-file|--secret-env <key>=...]...";

export const HELP: CommandHelp = {
    usage: USAGE,
    summary:
        "Where the stack's CA rotation stands in its cluster, per consumer: the CA roots its Secret's ca.crt holds (by fingerprint),\n" +
        "which of them signed its certificate, and whether each of its pods started with that Secret (its checksum annotation).\n" +
        "Judged against the stack's caRotation. Reads the cluster through the kubeconfig, as kubectl would; shows nothing secret.",
    flags: [
        ["status", "the one subcommand: report each consumer's convergence"],
        ["--stack <name>", "the stack whose config says the phase (Pulumi.<name>.yaml)"],
        ["--kubeconfig <file>", "the kubeconfig; by default KUBECONFIG's first file, else ~/.kube/config"],
        ["--context <name>", "a kubeconfig context; by default the stack's kubeContext, else the current context"],
        ["--redis <host:port>", "also what the in-cluster Redis serves, reached here (kubectl port-forward svc/spin-redis 6379): a handshake with its own Secret's certificate and CAs, the certificate it serves, CONFIG GET tls-ca-cert-file"],
        ["--redis-go <host:port>", "the same for the Go services' Redis (spin-redis-go)"],
        ["--json", "the report as JSON (one object per consumer)"],
        ...CONFIG_FLAG_HELP,
    ],
    examples: ["npm run rotation -- status --stack prod", "npm run rotation -- status --stack dev --context kind-dev --json"],
    exit1: "a consumer has not converged on the phase: wait for its pods to restart (or find out why they do not), then run it again",
};

export interface RotationArgs {
    readonly stack: string;
    readonly kubeconfig?: string;
    readonly context?: string;
    readonly json: boolean;
    /** Where each Redis is reached from here, by consumer name (redis, redis-go). */
    readonly redis: Record<string, { host: string; port: number }>;
    readonly config: Record<string, string>;
    readonly secretConfigKeys: string[];
}

export function parseRotationArgs(argv: string[]): RotationArgs {
    const [sub, ...rest] = argv;
    if (sub !== "status") throw new UsageError(`${sub === undefined ? "name a subcommand" : `unknown subcommand ${JSON.stringify(sub)}`}; allowed: status\n${USAGE}`);
    const f = parseFlags(rest, { values: ["stack", "kubeconfig", "context", "redis", "redis-go"], switches: ["json"], pairs: [...CONFIG_PAIR_FLAGS] }, USAGE);
    if (!f.values.stack) throw new UsageError(`--stack is required\n${USAGE}`);
    const redis: Record<string, { host: string; port: number }> = {};
    for (const [flag, consumer] of [["redis", "redis"], ["redis-go", "redis-go"]] as const) {
        const v = f.values[flag];
        if (v === undefined) continue;
        const m = /^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(v);
        if (!m || Number(m[2]) < 1 || Number(m[2]) > 65535) throw new UsageError(`--${flag} is ${JSON.stringify(v)}; allowed: <host>:<port>, e.g. 127.0.0.1:6379\n${USAGE}`);
        redis[consumer] = { host: m[1].replace(/^\[|\]$/g, ""), port: Number(m[2]) };
    }
    const inputs = readConfigInputs(f.pairs);
    return { stack: f.values.stack, kubeconfig: f.values.kubeconfig, context: f.values.context, json: f.switches.has("json"), redis, config: inputs.values, secretConfigKeys: inputs.secretKeys };
}

/** The stack's config, as the program would read it; throws StackConfigError listing every problem. */
function stackConfig(args: RotationArgs): StackConfig {
    const { values, problems } = readStackConfig(loadProject(PROJECT_ROOT), args.stack, args.config, args.secretConfigKeys);
    if (problems.length) throw new StackConfigError(problems);
    return parseStackConfig(Object.fromEntries(Object.entries(values).filter(([k]) => k.startsWith(`${CONFIG_NAMESPACE}:`))) as RawConfig);
}

const short = (fingerprint: string | undefined): string => (fingerprint ? fingerprint.replace(/:/g, "").slice(0, 16).toLowerCase() : "-");

/** The report's lines: a row per consumer, then its notes. */
export function statusReport(stack: string, phase: string, server: string, rows: readonly ConsumerStatus[]): string {
    const behind = rows.filter((r) => !r.converged);
    const lines = [`${stack}: caRotation "${phase}", cluster ${server}`, ""];
    const table = [["CONSUMER", "CONVERGED", "PODS", "CA ROOTS IN ca.crt (sha256)", "SIGNED BY"], ...rows.map((r) => [r.consumer, r.converged ? "yes" : "no", String(r.pods), r.trusted.map(short).join(",") || "-", short(r.signer)])];
    const widths = table[0].map((_, i) => Math.max(...table.map((row) => row[i].length)));
    lines.push(...table.map((row) => row.map((c, i) => (i === row.length - 1 ? c : c.padEnd(widths[i]))).join("  ")));
    const notes = rows.filter((r) => r.notes.length > 0);
    if (notes.length) lines.push("", ...notes.flatMap((r) => r.notes.map((n) => `  ${r.consumer}: ${n}`)));
    lines.push("", behind.length ? `NOT CONVERGED: ${behind.map((r) => r.consumer).join(", ")}; the next phase's pulumi up is refused until they are.` : `Converged on "${phase}": every store holds the phase's CAs and every pod runs with its Secret.`);
    return lines.join("\n");
}

async function main(args: RotationArgs): Promise<number> {
    let config: StackConfig;
    try {
        config = stackConfig(args);
    } catch (e) {
        if (!(e instanceof StackConfigError)) throw e;
        console.error(`Invalid stack configuration (Pulumi.${args.stack}.yaml and the command line):\n${e.problems.map((p) => `  - ${p}`).join("\n")}`);
        return EXIT_ERROR;
    }
    if (config.kubernetes.renderYamlToDirectory !== undefined) {
        console.error(`${args.stack} renders manifests (renderYamlToDirectory) and has no cluster of its own: run this against the cluster the manifests went to, with a stack whose kubeContext names it`);
        return EXIT_ERROR;
    }
    let reader: ClusterReader;
    try {
        reader = clusterReader({ kubeconfig: args.kubeconfig, context: args.context ?? config.kubernetes.context });
    } catch (e) {
        if (e instanceof KubeconfigError) {
            console.error(e.message);
            return EXIT_ERROR;
        }
        throw e;
    }
    try {
        return await report(args, config, reader);
    } finally {
        reader.close();
    }
}

async function report(args: RotationArgs, config: StackConfig, reader: ClusterReader): Promise<number> {
    const consumers = rotationConsumers(config);
    const rows = await observeConsumers(reader, config.namespace, phaseExpectation(config.caRotation), consumers);
    for (const [name, at] of Object.entries(args.redis)) {
        const i = rows.findIndex((r) => r.consumer === name);
        if (i < 0) {
            console.error(`--${name} is given, but ${args.stack} runs no ${name === "redis" ? "in-cluster Redis" : "Redis for the Go services"}`);
            return EXIT_ERROR;
        }
        type Read = { metadata: { name: string }; data?: Record<string, string> };
        const read = (secretName: string) => reader.get<Read>(`/api/v1/namespaces/${encodeURIComponent(config.namespace)}/secrets/${encodeURIComponent(secretName)}`);
        const consumer = consumers.find((c) => c.name === name)!;
        const secret = await read(consumer.secretName);
        // Beside cert-manager Redis reads its CAs from the program's trust bundle, not from cert-manager's ca.crt.
        const trust = consumer.trustSecretName ? await read(consumer.trustSecretName) : secret;
        const probe =
            secret && trust
                ? await probeRedis(at.host, at.port, { name: secret.metadata.name, data: { ...(secret.data ?? {}), "ca.crt": trust.data?.["ca.crt"] ?? "" } }, `spin-${name}.${config.namespace}.svc`)
                : { ok: false, notes: [`Secret ${secret ? consumer.trustSecretName : consumer.secretName} not found, so Redis was not probed`] };
        const row = rows[i];
        rows[i] = { ...row, converged: row.converged && probe.ok, notes: [...row.notes, ...probe.notes, ...("caFile" in probe && probe.caFile ? [`serves its own Secret's certificate; loads its CAs from ${probe.caFile}`] : [])] };
    }
    console.log(args.json ? JSON.stringify({ stack: args.stack, caRotation: config.caRotation, server: reader.server, consumers: rows }, null, 2) : statusReport(args.stack, config.caRotation, reader.server, rows));
    return rows.every((r) => r.converged) ? EXIT_OK : EXIT_NO;
}

if (require.main === module) runCommand(HELP, parseRotationArgs, main);

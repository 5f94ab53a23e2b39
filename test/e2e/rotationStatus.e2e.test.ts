// The CA rotation's observed gate under the real Pulumi CLI and the real
// kube-apiserver: `npm run rotation -- status` reads the dev stack's Secrets
// and pods through the cluster's kubeconfig, and `pulumi up` of the next phase
// is refused while a pod has not restarted onto its Secret. A Redis pod is
// judged by its tls-reload container's log, which the API server fetches from
// the kubelet; for a pod that never ran (no kubelet here) it answers an empty
// log, and the status must count Redis unconverged and say why.
//
// The cluster has no kubelet, so the pods are Pod objects this test creates,
// as a kubelet-less cluster keeps them: their annotations are what the
// Operator would copy from the pod template (the program's checksums), and
// their Ready condition is set through the status subresource, as the kubelet
// would. What this does not prove: that the Spinnaker Operator copies the
// annotations (docs/spinnaker.md says where the program puts them).
//
// Run: bash test/e2e/run.sh test/e2e/rotationStatus.e2e.test.ts
import * as assert from "assert";
import * as childProcess from "child_process";
import { secretChecksum } from "../../components/pki/secretLayout";
import { TLS_CHECKSUM_ANNOTATION } from "../../components/pki/rotationStatus";
import { REPO, StackRun, standInNotice, startStackRun } from "./support/stackRun";

const STACK = "dev";

/** `npm run rotation -- status` from the repository (its Pulumi.dev.yaml is the copy's), against this cluster. */
function status(run: StackRun, extra: string[] = [], kubeconfig = run.cluster.kubeconfig): Promise<{ code: number; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
        const child = childProcess.spawn(process.execPath, ["-r", "ts-node/register/transpile-only", "tools/rotation.ts", "status", "--stack", STACK, "--kubeconfig", kubeconfig, ...extra], {
            cwd: REPO,
            env: { ...process.env, PULUMI_CONFIG_PASSPHRASE: "" },
        });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
        child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
        child.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr }));
    });
}

describe(`e2e: CA rotation status and the observed gate on the ${STACK} stack (${standInNotice()})`, function () {
    this.timeout(1_800_000);
    let run: StackRun | undefined;
    const api = (method: string, p: string, body?: unknown, type = "application/json") => run!.cluster.request(method, p, body === undefined ? undefined : JSON.stringify(body), type);
    const secretData = async (name: string) => (JSON.parse((await api("GET", `/api/v1/namespaces/${run!.namespace}/secrets/${name}`)).body) as { data: Record<string, string> }).data;
    const podsPath = () => `/api/v1/namespaces/${run!.namespace}/pods`;

    before(async () => {
        run = await startStackRun(STACK);
        await run.ws.ok(["config", "set", "spinnaker-mtls:clientAuth", "want"], run.project);
        await run.ws.ok(["up", "--yes", "--skip-preview"], run.project, 1_200_000);
    });
    after(async () => {
        await run?.stop();
    });

    it("reports every consumer converged on none with no pods running, and says so (exit 0)", async () => {
        const r = await status(run!);
        assert.strictEqual(r.code, 0, r.stdout + r.stderr);
        assert.match(r.stdout, /^dev: caRotation "none", cluster https:\/\/127\.0\.0\.1:\d+$/m);
        assert.match(r.stdout, /^orca {2,}yes {2,}0 /m);
        assert.match(r.stdout, /orca: no pods found/);
        assert.match(r.stdout, /^Converged on "none"/m);
    });

    it("finds a pod started with an earlier Secret, and one not ready (exit 1); refuses pulumi up of trust-both until they have caught up", async () => {
        const orca = await secretData("spin-orca-tls");
        const pod = (name: string, checksum: string) => ({
            apiVersion: "v1",
            kind: "Pod",
            metadata: { name, namespace: run!.namespace, annotations: { [TLS_CHECKSUM_ANNOTATION]: checksum } },
            spec: { containers: [{ name: "orca", image: "us-docker.pkg.dev/spinnaker-community/docker/orca:2025.0.0" }] },
        });
        const ready = async (name: string, value: "True" | "False") => {
            const r = await api("PATCH", `${podsPath()}/${name}/status`, { status: { conditions: [{ type: "Ready", status: value }] } }, "application/merge-patch+json");
            assert.ok(r.status < 300, `${r.status} ${r.body}`);
        };
        for (const [name, sum] of [["spin-orca-6d4f9c7b8-aaaaa", secretChecksum(orca)], ["spin-orca-6d4f9c7b8-bbbbb", "0".repeat(64)]] as const) {
            const r = await api("POST", podsPath(), pod(name, sum));
            assert.ok(r.status < 300, `${r.status} ${r.body}`);
        }
        await ready("spin-orca-6d4f9c7b8-aaaaa", "True");
        await ready("spin-orca-6d4f9c7b8-bbbbb", "True");

        const behind = await status(run!, ["--json"]);
        assert.strictEqual(behind.code, 1, behind.stdout + behind.stderr);
        const rows = (JSON.parse(behind.stdout) as { consumers: { consumer: string; converged: boolean; notes: string[]; pods: number }[] }).consumers;
        const orcaRow = rows.find((r) => r.consumer === "orca")!;
        assert.deepStrictEqual([orcaRow.converged, orcaRow.pods, orcaRow.notes], [
            false,
            2,
            [`pod spin-orca-6d4f9c7b8-bbbbb started with an earlier spin-orca-tls (its ${TLS_CHECKSUM_ANNOTATION} differs): it has not restarted since the Secret changed`],
        ]);
        assert.ok(rows.filter((r) => r.consumer !== "orca").every((r) => r.converged), JSON.stringify(rows));

        // The next phase's up reads the same, through the CLI's kubeconfig, and registers nothing.
        await run!.ws.ok(["config", "set", "spinnaker-mtls:caRotation", "trust-both"], run!.project);
        const refused = await run!.ws.run(["up", "--yes", "--skip-preview"], run!.project, 1_200_000);
        assert.notStrictEqual(refused.code, 0);
        const out = refused.stdout + refused.stderr;
        assert.match(out, /spinnaker-mtls:caRotation is "trust-both", a step from the last deployment, but the cluster \(https:\/\/127\.0\.0\.1:\d+\) has not converged on the last one: orca: pod spin-orca-6d4f9c7b8-bbbbb started with an earlier spin-orca-tls/);
        assert.deepStrictEqual(await secretData("spin-orca-tls"), orca, "the refused up changed nothing");

        // The pod restarts onto the Secret (a new pod with its checksum; the old one gone), but is not ready yet.
        assert.ok((await api("DELETE", `${podsPath()}/spin-orca-6d4f9c7b8-bbbbb`)).status < 300);
        assert.ok((await api("POST", podsPath(), pod("spin-orca-6d4f9c7b8-ccccc", secretChecksum(orca)))).status < 300);
        const starting = await status(run!);
        assert.strictEqual(starting.code, 1);
        assert.match(starting.stdout, /orca: pod spin-orca-6d4f9c7b8-ccccc is not ready/);
        await ready("spin-orca-6d4f9c7b8-ccccc", "True");
        assert.strictEqual((await status(run!)).code, 0);

        const up = await run!.ws.run(["up", "--yes", "--skip-preview"], run!.project, 1_200_000);
        assert.strictEqual(up.code, 0, (up.stdout + up.stderr).slice(-3000));
        // trust-both rewrote orca's Secret: its pods are behind now, and status says the phase is not reached.
        // (The command reads the repository's Pulumi.dev.yaml; the workspace copy set caRotation, so it is given here.)
        const after = await status(run!, ["--config", "caRotation=trust-both"]);
        assert.strictEqual(after.code, 1);
        assert.match(after.stdout, /^dev: caRotation "trust-both"/m);
        assert.match(after.stdout, /orca: pod spin-orca-6d4f9c7b8-aaaaa started with an earlier spin-orca-tls/);
        // The stores themselves hold both CAs, as trust-both wants: only the pods are behind.
        assert.match(after.stdout, /^clouddriver {2,}yes {2,}0 {2,}[0-9a-f]{16},[0-9a-f]{16} /m);
        assert.doesNotMatch(after.stdout, /ca\.crt holds/);
    });

    it("asks a Redis pod's tls-reload log what Redis loaded, and when it records no reload (here the pod never ran), says so and counts Redis unconverged", async () => {
        const r = await api("POST", podsPath(), {
            apiVersion: "v1",
            kind: "Pod",
            metadata: { name: "spin-redis-0", namespace: run!.namespace },
            spec: { containers: [{ name: "redis", image: "redis:7.4" }, { name: "tls-reload", image: "redis:7.4" }] },
        });
        assert.ok(r.status < 300, `${r.status} ${r.body}`);
        const s = await status(run!, ["--json", "--config", "caRotation=trust-both"]);
        assert.strictEqual(s.code, 1, s.stdout + s.stderr);
        const redis = (JSON.parse(s.stdout) as { consumers: { consumer: string; converged: boolean; notes: string[] }[] }).consumers.find((c) => c.consumer === "redis")!;
        assert.strictEqual(redis.converged, false);
        // The API server itself answers the log request: the pod is not scheduled, so its container has
        // run nowhere and its log is empty (HTTP 204), which records no reload.
        assert.deepStrictEqual(redis.notes, ["pod spin-redis-0: which files its Redis loaded is unknown (its tls-reload container has logged no reload in its last 500 lines)", "pod spin-redis-0 is not ready"]);
        assert.ok((await api("DELETE", `${podsPath()}/spin-redis-0`)).status < 300);
    });

    it("refuses a kubeconfig it cannot use, naming it (exit 2)", async () => {
        const r = await status(run!, [], "/nonexistent/kubeconfig");
        assert.strictEqual(r.code, 2);
        assert.match(r.stderr, /kubeconfig \/nonexistent\/kubeconfig: no such file/);
    });
});

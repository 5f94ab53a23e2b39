// The prod stack under the real Pulumi CLI 3.248.0 and the real Kubernetes
// provider against a real kube-apiserver (issue 12): cert-manager backend,
// Istio, Armory's SpinnakerService group, every policy mandatory. Up, a clean
// second preview, the policy pack refusing a weakening during `pulumi preview`
// (with the policy's name in the output), refresh without drift, destroy.
//
// As in dev.e2e.test.ts, the Node.js language host and the tls/random
// providers are this project's STAND-INS (the test prints which).
//
// Run: bash test/e2e/run.sh test/e2e/prod.e2e.test.ts
import * as assert from "assert";
import * as path from "path";
import { CertManagerServing, NO_ACME_OVERRIDES, applyConfigOverrides, serveCertManager } from "./support/certManager";
import { apiPath, exportedResources, keysMissingForCli, policyFindings, standInNotice, StackRun, startStackRun, StateResource, USER_SPINNAKER_VERSION } from "./support/stackRun";

const STACK = "prod";
/** Namespaces of what prod expects installed (the defaults of certManagerNamespace and istioRootNamespace). */
const USER_NAMESPACES = ["cert-manager", "istio-system"];

interface KubeList<T> { items: T[] }
interface Certificate { metadata: { name: string }; spec: { secretName: string; usages?: string[]; issuerRef: { name: string; kind?: string } } }
interface PeerAuthentication { metadata: { name: string }; spec: { mtls?: { mode?: string }; selector?: unknown } }
interface SpinnakerService { spec: { spinnakerConfig: { config: { version?: string }; profiles?: Record<string, unknown> } } }

describe(`e2e: the ${STACK} stack under the real CLI and Kubernetes provider`, function () {
    this.timeout(1_800_000);
    let run: StackRun | undefined;
    let created: StateResource[] = [];

    const get = async <T>(p: string): Promise<{ status: number; obj: T }> => {
        const r = await run!.cluster.request("GET", p);
        return { status: r.status, obj: JSON.parse(r.body) as T };
    };

    // cert-manager's own controller and webhook (v1.21.2, test/e2e/build/cert-manager):
    // prod's Certificates carry pulumi.com/waitFor condition=Ready, so `pulumi up`
    // waits until the real controller has issued each one.
    let certManager: CertManagerServing | undefined;

    before(async function () {
        console.log(`      ${standInNotice()}`);
        // prod uses the cluster's cert-manager (certManagerInstall false) and
        // Istio: their namespaces exist before the stack, as in a user's cluster.
        run = await startStackRun(STACK, USER_NAMESPACES);
        certManager = await serveCertManager(run.cluster, path.join(run.ws.dir, "cert-manager"));
        await applyConfigOverrides(run.ws, run.project, NO_ACME_OVERRIDES);
    });

    after(async function () {
        await certManager?.stop(this.currentTest?.state === "failed");
        await run?.stop();
    });

    it("the stack leaves no key unset that Pulumi.yaml declares without a default (the real CLI would refuse to run it)", async function () {
        const names = keysMissingForCli(run!).map((m) => m.key);
        assert.deepStrictEqual(names, [], `pulumi ${STACK} fails before the program runs: "Stack '${STACK}' is missing configuration values" for ${names.join(", ")}`);
    });

    it("pulumi preview runs the program and passes the policy pack", async function () {
        const r = await run!.ws.ok(["preview", ...run!.policyArgs], run!.project);
        assert.match(r.stdout, /Policies:\s*\n\s*\S+ spinnaker-mtls@v\d/, r.stdout);
        assert.deepStrictEqual(policyFindings(r.stdout).filter((f) => f.level === "mandatory" && !f.couldNotRun), []);
    });

    it("pulumi up creates the stack's objects with the expected content", async function () {
        const up = await run!.ws.ok(["up", "--yes", "--skip-preview", ...run!.policyArgs], run!.project, 1_200_000);
        // prod's pack config makes every policy mandatory; none fired.
        assert.deepStrictEqual(policyFindings(up.stdout), []);
        created = (await exportedResources(run!)).filter((r) => r.type.startsWith("kubernetes:") && !r.type.endsWith("Patch"));
        assert.ok(created.length > 0, "the stack holds no Kubernetes objects");
        for (const res of created) {
            const p = apiPath(res);
            assert.ok(p, `no API path for ${res.urn}`);
            assert.strictEqual((await run!.cluster.request("GET", p)).status, 200, `${res.urn} is not in the cluster (${p})`);
        }

        // cert-manager backend: one Certificate per service, into the service's
        // Secret, for server and client auth (the API server validated them
        // against cert-manager's CRD).
        const certs = (await get<KubeList<Certificate>>(`/apis/cert-manager.io/v1/namespaces/${run!.namespace}/certificates`)).obj.items;
        // Behind the ingress Deck serves plain HTTP to its sidecar and calls nothing, so it gets no certificate (issue 23).
        const behindIngress = run!.config["spinnaker-mtls:ingressHost"] !== undefined;
        if (behindIngress) assert.ok(!certs.some((c) => c.spec.secretName === "spin-deck-tls"), "a Certificate for Deck behind the ingress");
        // The Go services present their leaf without a chain, so the program signs theirs with the root, into a
        // Secret of their own beside cert-manager's (docs/configuration.md, "Name constraints").
        const goServices = ["dinghy", "terraformer"];
        for (const svc of (run!.config["spinnaker-mtls:services"] as string[]).filter((s) => goServices.includes(s))) {
            assert.ok(!certs.some((c) => c.spec.secretName.startsWith(`spin-${svc}-`)), `a Certificate for ${svc}`);
            assert.strictEqual((await run!.cluster.request("GET", `/api/v1/namespaces/${run!.namespace}/secrets/spin-${svc}-root-signed-tls`)).status, 200, `no Secret spin-${svc}-root-signed-tls`);
        }
        for (const svc of (run!.config["spinnaker-mtls:services"] as string[]).filter((s) => !(behindIngress && s === "deck") && !goServices.includes(s))) {
            const cert = certs.find((c) => c.spec.secretName === `spin-${svc}-tls`);
            assert.ok(cert, `no Certificate for spin-${svc}-tls among ${certs.map((c) => c.spec.secretName).join(", ")}`);
            assert.ok(cert.spec.usages?.includes("server auth") && cert.spec.usages.includes("client auth"), `${svc}: usages ${cert.spec.usages}`);
        }
        // pulumi up waited for each (pulumi.com/waitFor): cert-manager's controller issued them all,
        // into Secrets it wrote, before the SpinnakerService patch that rolls the pods.
        const all = (await get<KubeList<Certificate & { metadata: { namespace: string }; status?: { conditions?: { type: string; status: string }[] } }>>(`/apis/cert-manager.io/v1/certificates`)).obj.items;
        assert.ok(all.length >= certs.length, `${all.length} Certificates`);
        for (const c of all) {
            assert.ok(c.status?.conditions?.some((x) => x.type === "Ready" && x.status === "True"), `${c.metadata.namespace}/${c.metadata.name} is not Ready after up`);
            const secret = await get<{ metadata: { annotations?: Record<string, string> } }>(`/api/v1/namespaces/${c.metadata.namespace}/secrets/${c.spec.secretName}`);
            assert.strictEqual(secret.status, 200, `${c.spec.secretName}`);
            assert.strictEqual(secret.obj.metadata.annotations?.["cert-manager.io/certificate-name"], c.metadata.name, `${c.spec.secretName} was written by cert-manager`);
        }
        // Istio: the namespace's PeerAuthentication is STRICT.
        const pas = (await get<KubeList<PeerAuthentication>>(`/apis/security.istio.io/v1/namespaces/${run!.namespace}/peerauthentications`)).obj.items;
        assert.ok(pas.length > 0 && pas.every((p) => p.spec.mtls?.mode === "STRICT"), `PeerAuthentications: ${JSON.stringify(pas.map((p) => p.spec))}`);
        // The user's SpinnakerService (Armory's group) keeps the user's field and gains the program's profiles.
        const { obj: svc } = await get<SpinnakerService>(run!.spinnakerServicePath);
        assert.strictEqual(svc.spec.spinnakerConfig.config.version, USER_SPINNAKER_VERSION);
        assert.ok(svc.spec.spinnakerConfig.profiles && Object.keys(svc.spec.spinnakerConfig.profiles).length > 0, "no profiles patched in");
    });

    it("a second preview finds no changes, and the policy pack judges every object", async function () {
        const r = await run!.ws.ok(["preview", "--expect-no-changes", ...run!.policyArgs], run!.project);
        assert.deepStrictEqual(policyFindings(r.stdout).filter((f) => f.couldNotRun), []);
    });

    it("the policy pack refuses clientAuth want during pulumi preview, naming the policy", async function () {
        await run!.ws.ok(["config", "set", "spinnaker-mtls:clientAuth", "want"], run!.project);
        try {
            const r = await run!.ws.run(["preview", ...run!.policyArgs], run!.project);
            assert.notStrictEqual(r.code, 0, "preview accepted clientAuth want in prod");
            const refused = policyFindings(r.stdout).filter((f) => f.level === "mandatory" && !f.couldNotRun);
            assert.ok(refused.some((f) => f.policy === "spinnaker-client-auth-need"), `findings: ${JSON.stringify(refused)}\n${r.stdout}`);
        } finally {
            await run!.ws.ok(["config", "rm", "spinnaker-mtls:clientAuth"], run!.project);
        }
        // Back to the stack as shipped: nothing to change.
        await run!.ws.ok(["preview", "--expect-no-changes", ...run!.policyArgs], run!.project);
    });

    it("refresh finds no drift", async function () {
        await run!.ws.ok(["refresh", "--yes", "--expect-no-changes"], run!.project);
    });

    it("pulumi destroy removes what the stack created and only that", async function () {
        assert.ok(created.length > 0, "nothing recorded as created (the up step failed)");
        await run!.ws.ok(["destroy", "--yes"], run!.project, 1_200_000);
        for (const res of created) {
            const p = apiPath(res)!;
            assert.strictEqual((await run!.cluster.request("GET", p)).status, 404, `${res.urn} is still in the cluster (${p})`);
        }
        for (const ns of [run!.namespace, ...USER_NAMESPACES]) {
            assert.strictEqual((await run!.cluster.request("GET", `/api/v1/namespaces/${ns}`)).status, 200, `the user's namespace ${ns} is gone`);
        }
        const { status, obj: svc } = await get<SpinnakerService>(run!.spinnakerServicePath);
        assert.strictEqual(status, 200, "the user's SpinnakerService is gone");
        assert.strictEqual(svc.spec.spinnakerConfig.config.version, USER_SPINNAKER_VERSION);
    });
});

// The dev stack under the real Pulumi CLI 3.248.0 and the real Kubernetes
// provider against a real kube-apiserver (issue 12): preview and up with the
// policy pack, the objects' content, a clean `preview --expect-no-changes`,
// refresh without drift, and destroy.
//
// Three parts are this project's STAND-INS, because the Go module proxy
// refuses the upstream modules: the Node.js language host and the tls and
// random providers (test/e2e/build/standins/, whose README lists what
// they do not prove). The test prints which. Real here: the CLI and engine,
// the Kubernetes provider and SSA, the API server's validation, the policy
// pack started by the CLI, @pulumi/pulumi's runtime; certificate issuance is
// the stand-in's Go code.
//
// Run: bash test/e2e/run.sh test/e2e/dev.e2e.test.ts
import * as assert from "assert";
import * as crypto from "crypto";
import { apiPath, exportedResources, keysMissingForCli, standInNotice, StackRun, startStackRun, StateResource, policyFindings, USER_MANAGER, USER_SPINNAKER_VERSION } from "./support/stackRun";

const STACK = "dev";

interface ManagedField { manager: string; operation: string; fieldsV1?: Record<string, unknown> }
interface KubeObject { metadata: { name: string; managedFields?: ManagedField[] }; data?: Record<string, string>; spec?: Record<string, unknown> }
interface SpinnakerService { metadata: { managedFields?: ManagedField[] }; spec: { spinnakerConfig: { config: { version?: string }; profiles?: Record<string, unknown> } } }

describe(`e2e: the ${STACK} stack under the real CLI and Kubernetes provider`, function () {
    this.timeout(1_800_000);
    let run: StackRun | undefined;
    let created: StateResource[] = [];

    const get = async <T>(p: string): Promise<{ status: number; obj: T }> => {
        const r = await run!.cluster.request("GET", p);
        return { status: r.status, obj: JSON.parse(r.body) as T };
    };

    before(async function () {
        console.log(`      ${standInNotice()}`);
        run = await startStackRun(STACK);
    });

    after(async function () {
        await run?.stop();
    });

    it("the stack leaves no key unset that Pulumi.yaml declares without a default (the real CLI would refuse to run it)", async function () {
        const names = keysMissingForCli(run!).map((m) => m.key);
        assert.deepStrictEqual(names, [], `pulumi ${STACK} fails before the program runs: "Stack '${STACK}' is missing configuration values" for ${names.join(", ")}`);
    });

    it("pulumi preview runs the program and passes the policy pack", async function () {
        const r = await run!.ws.ok(["preview", ...run!.policyArgs], run!.project);
        assert.doesNotMatch(r.stdout, /mandatory policy violation/i);
        // The CLI ran the pack through the language host (it lists it under Policies).
        assert.match(r.stdout, /Policies:\s*\n\s*\S+ spinnaker-mtls@v\d/, r.stdout);
        assert.match(r.stdout, /\+ \d+ to create/);
        // The parser's positive control: before the certificates exist, some policies cannot run on
        // unknown values, and the parser flags them; the later "none could not run" relies on it.
        assert.ok(policyFindings(r.stdout).some((f) => f.couldNotRun), `no finding flagged as unable to run on a first preview:\n${r.stdout}`);
    });

    it("pulumi up creates the stack's objects with the expected content", async function () {
        const up = await run!.ws.ok(["up", "--yes", "--skip-preview", ...run!.policyArgs], run!.project, 1_200_000);
        // With every value known, the pack judged the objects with dev's pack
        // config: client-auth need is advisory there, and dev's clientAuth want trips it.
        assert.ok(policyFindings(up.stdout).some((f) => f.level === "advisory" && f.policy === "spinnaker-client-auth-need" && !f.couldNotRun),
            `no advisory finding of spinnaker-client-auth-need:\n${up.stdout}`);
        const resources = await exportedResources(run!);
        created = resources.filter((r) => r.type.startsWith("kubernetes:") && !r.type.startsWith("pulumi:providers") && !r.type.endsWith("Patch"));
        assert.ok(created.length > 0, "the stack holds no Kubernetes objects");
        for (const res of created) {
            const p = apiPath(res);
            assert.ok(p, `no API path for ${res.urn}`);
            assert.strictEqual((await run!.cluster.request("GET", p)).status, 200, `${res.urn} is not in the cluster (${p})`);
        }

        // Every service's Secret: a certificate for the service, issued by the CA
        // in ca.crt, for server and client auth, with its in-cluster names, and
        // the matching private key.
        const services = run!.config["spinnaker-mtls:services"] as string[];
        for (const svc of services) {
            const { status, obj } = await get<KubeObject>(`/api/v1/namespaces/${run!.namespace}/secrets/spin-${svc}-tls`);
            assert.strictEqual(status, 200, `no Secret spin-${svc}-tls`);
            const data = (k: string) => Buffer.from(obj.data?.[k] ?? "", "base64").toString();
            // tls.crt is the leaf, then the issuing CA it carries; ca.crt the root.
            const chain = (data("tls.crt").match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []).map((b) => new crypto.X509Certificate(b));
            const cert = chain[0];
            const ca = new crypto.X509Certificate(data("ca.crt"));
            assert.ok(ca.ca, `${svc}: ca.crt is not a CA certificate`);
            assert.strictEqual(chain.length, 2, `${svc}: tls.crt is the leaf and the issuing CA`);
            assert.ok(chain[1].ca && cert.verify(chain[1].publicKey) && cert.issuer === chain[1].subject, `${svc}: the leaf is not signed by the issuing CA it carries`);
            assert.ok(chain[1].verify(ca.publicKey), `${svc}: tls.crt's issuing CA is not signed by ca.crt`);
            assert.strictEqual(chain[1].issuer, ca.subject);
            assert.match(cert.subject, new RegExp(`CN=spin-${svc}(\\n|$)`));
            assert.ok(cert.checkPrivateKey(crypto.createPrivateKey(data("tls.key"))), `${svc}: tls.key does not match tls.crt`);
            assert.match(cert.subjectAltName ?? "", new RegExp(`DNS:[^,]*\\.${run!.namespace}\\.svc`), `${svc}: SANs ${cert.subjectAltName}`);
            const eku = cert.keyUsage ?? [];
            assert.ok(eku.includes("1.3.6.1.5.5.7.3.1") && eku.includes("1.3.6.1.5.5.7.3.2"), `${svc}: extended key usage ${eku.join(",")}`);
            const hours = (Date.parse(cert.validTo) - Date.parse(cert.validFrom)) / 3600_000;
            assert.strictEqual(hours, Number(run!.config["spinnaker-mtls:certValidityHours"]), `${svc}: validity`);
        }

        // Secrets went through the providers as secrets: no private key or
        // generated password in the state in plaintext.
        const state = (await run!.ws.ok(["stack", "export"], run!.project)).stdout;
        assert.doesNotMatch(state, /-----BEGIN (EC |RSA )?PRIVATE KEY-----/, "a private key is in the state in plaintext");
        for (const svc of services) {
            const { obj } = await get<KubeObject>(`/api/v1/namespaces/${run!.namespace}/secrets/spin-${svc}-tls`);
            const pw = obj.data?.["keystore-password"];
            if (pw) assert.ok(!state.includes(Buffer.from(pw, "base64").toString()), `${svc}: the keystore password is in the state in plaintext`);
        }

        // Patch mode: the program's profiles arrive in the user's SpinnakerService
        // under the program's field manager; the user's own field stays the user's.
        const { obj: svc } = await get<SpinnakerService>(run!.spinnakerServicePath);
        assert.strictEqual(svc.spec.spinnakerConfig.config.version, USER_SPINNAKER_VERSION);
        assert.ok(svc.spec.spinnakerConfig.profiles && Object.keys(svc.spec.spinnakerConfig.profiles).length > 0, "no profiles patched in");
        const owners = (field: string) => (svc.metadata.managedFields ?? [])
            .filter((f) => JSON.stringify(f.fieldsV1 ?? {}).includes(`"f:${field}"`)).map((f) => f.manager);
        assert.deepStrictEqual(owners("version"), [USER_MANAGER]);
        assert.ok(owners("profiles").length > 0 && !owners("profiles").includes(USER_MANAGER), `profiles owned by ${owners("profiles").join(", ")}`);
    });

    it("a second preview finds no changes, and the policy pack judges every object", async function () {
        const r = await run!.ws.ok(["preview", "--expect-no-changes", ...run!.policyArgs], run!.project);
        // The first preview cannot run policies on values unknown before the
        // certificates exist ("can't run policy … during preview"); now every value is known.
        assert.deepStrictEqual(policyFindings(r.stdout).filter((f) => f.couldNotRun), []);
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
        // The user's objects stay, with the user's field; the program's profiles left with the patch.
        assert.strictEqual((await run!.cluster.request("GET", `/api/v1/namespaces/${run!.namespace}`)).status, 200, "the user's namespace is gone");
        const { status, obj: svc } = await get<SpinnakerService>(run!.spinnakerServicePath);
        assert.strictEqual(status, 200, "the user's SpinnakerService is gone");
        assert.strictEqual(svc.spec.spinnakerConfig.config.version, USER_SPINNAKER_VERSION);
        assert.ok(!svc.spec.spinnakerConfig.profiles || Object.keys(svc.spec.spinnakerConfig.profiles).length === 0,
            `the program's profiles stayed after destroy: ${Object.keys(svc.spec.spinnakerConfig.profiles ?? {}).join(", ")}`);
    });
});

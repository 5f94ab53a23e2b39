// CA rotation drill (issue 21): the dev stack (certificateBackend pulumi) under
// the real Pulumi CLI 3.248.0 and the real Kubernetes provider against a real
// kube-apiserver, walked through caRotation none → trust-both → issue-next →
// trust-next, one `pulumi up` each, then finished (caGeneration 2, caRotation
// none). After every step the test reads the Secrets back from the API server
// and judges them against its own model of the phases (issue 21's interface,
// restated in support/cliRotationDrill.ts rather than imported from
// components/pki/caRotation.ts):
//
//   phase        every store trusts     every leaf signed by
//   none         current                current
//   trust-both   current + next         current
//   issue-next   current + next         next
//   trust-next   next                   next
//
// "Every store" is each TLS Secret's ca.crt (services and Redis), each Java
// service's truststore.p12 and the JVM truststore Secret
// (spinnaker-mtls-jvm-truststore). A CA is known to the test by the SHA-256
// of its public key (SPKI), as the API server returns it: the stores hold the
// generated CA re-signed with name constraints, another certificate than the
// tls resource in the state, of the same key. Which CA signed a tls.crt is
// decided by signature (both CAs have the same subject name).
//
// Each allowed step is then tried with live handshakes: real OpenSSL
// s_server/s_client on 127.0.0.1, both sides verifying with
// -verify_return_error (the server requires a client certificate), between
// the previous phase's materials and this phase's, in all four mixes (while
// pods restart one by one, any old pod meets any new one). orca serves, gate
// calls, once with what the Java services read (keystore.p12, truststore.p12,
// and on the client side the JVM truststore that kork's ok-http client uses)
// and once with the PEM files (tls.crt, tls.key, ca.crt) that the Go services,
// Deck and Redis read. Every allowed step must have zero failed handshakes.
//
// Controls:
// - the handshake runner's positive control: a peer whose certificate comes
//   from an unrelated CA (with the very same subject name as the real one), a
//   client without a certificate and a wrong host name are each refused, while
//   the unrelated CA's own pair handshakes (so those materials are well formed);
// - the gate: trust-next (and issue-next) straight from none, and trust-next
//   straight from trust-both, are refused before anything is registered,
//   naming spinnaker-mtls:caRotation, with no object in the cluster touched;
// - the negative control: after the finish, a second rotation (generation 2 →
//   3) goes to trust-both and is then forced straight to trust-next with
//   SPINNAKER_MTLS_FORCE_CA_ROTATION=trust-next (a real forced `pulumi up`).
//   The handshakes between those two deployments' materials fail across the
//   mix, which is what the gate exists to prevent.
//
// Not covered here: pods. This cluster runs no kubelet, so no pod exists; the
// program's convergence check (it reads the cluster when caRotation moves)
// finds the Secrets of the last deployment and no pod to wait for, and the
// pods' restarts are stood for by the SpinnakerService's checksum annotations.
// test/e2e/rotationStatus.e2e.test.ts creates Pod objects to test that check.
//
// Three parts are this project's STAND-INS (the Go module proxy refuses the
// upstream modules): the Node.js language host and the tls and random
// providers (test/e2e/build/standins/README.md); the test prints which. The
// certificates are issued by the stand-in's Go code; the gate, the Secrets'
// content, the CLI's engine, the Kubernetes provider and the API server are
// the real ones, and the handshakes are OpenSSL's.
//
// Every process the test starts (the cluster, the CLI, each openssl) runs in a
// process group registered with the run (support/processes.ts); each
// handshake's server and client are stopped in a finally, and an interrupted
// run's groups are stopped by run.sh's trap or its reaper.
//
// Run: bash test/e2e/run.sh test/e2e/caRotation.e2e.test.ts
import * as assert from "assert";
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import {
    FORCE_ENV,
    JAVA_SERVICES,
    JVM_TRUSTSTORE,
    MODEL,
    Handshake,
    Party,
    Phase,
    Role,
    STACK_TYPES,
    Secret,
    SpinnakerService,
    StepMeta,
    Up,
    assertSummaryMatches,
    certsOf,
    changesOf,
    data,
    describeHandshake,
    fpOf,
    handshake,
    impostor as makeImpostor,
    isRootCa,
    key,
    pulumiUp,
    readP12,
    shortFp,
    signersOf,
    sorted,
    summaryOf,
    urnName,
    urnType,
    withForce as withForceOn,
} from "./support/cliRotationDrill";
import { apiPath, exportedResources, standInNotice, StackRun, startStackRun, StateResource } from "./support/stackRun";

const STACK = "dev";
/** The pair the handshakes use: orca serves, gate calls it (a real Spinnaker edge). */
const SERVER_SVC = "orca";
const CLIENT_SVC = "gate";
/** The pod annotation whose change rolls a service's pods (docs/spinnaker.md; test/e2e/rotation.e2e.test.ts). */
const CHECKSUM = "spinnaker-mtls/tls-checksum";
const SECRET_TYPE = "kubernetes:core/v1:Secret";

/** What one deployment gives orca (server) and gate (client), two ways. */
interface Materials { label: string; java: { server: Party; client: Party }; pem: { server: Party; client: Party } }

describe(`e2e: CA rotation drill on the ${STACK} stack (caRotation none → trust-both → issue-next → trust-next → finish; gate and forced-skip controls; OpenSSL handshakes)`, function () {
    this.timeout(1_800_000);
    let run: StackRun | undefined;
    let work = "";
    /** Every CA seen, by key (fpOf), in the order first seen: generation 1, 2, 3. */
    const cas = new Map<string, crypto.X509Certificate>();
    const gen: string[] = [];
    /** The deployments' materials, by label. */
    const materials = new Map<string, Materials>();
    let last: Snapshot | undefined;
    let first: Snapshot | undefined;
    /** The JVM truststore's certificates besides the Spinnaker CAs (public roots), from the first deployment. */
    let publicRoots: string[] = [];

    interface Snapshot {
        label: string;
        /** Every kubernetes.io/tls Secret in the namespace, by name. */
        tls: Map<string, Secret>;
        jvm: Secret;
        svc: SpinnakerService;
    }

    const get = async <T>(p: string): Promise<T> => {
        const r = await run!.cluster.request("GET", p);
        assert.strictEqual(r.status, 200, `GET ${p}: ${r.status}`);
        return JSON.parse(r.body) as T;
    };
    const ns = () => run!.namespace;
    const services = () => run!.config[key("services")] as string[];
    /** The TLS Secrets the stack must have: one per service, and Redis's (README.md). */
    const expectedTlsSecrets = () => sorted([...services().map((s) => `spin-${s}-tls`), "spin-redis-tls"]);

    async function snapshot(label: string): Promise<Snapshot> {
        const list = await get<{ items: Secret[] }>(`/api/v1/namespaces/${ns()}/secrets`);
        const tls = new Map(list.items.filter((s) => s.type === "kubernetes.io/tls").map((s) => [s.metadata.name, s] as const));
        assert.deepStrictEqual(sorted(tls.keys()), expectedTlsSecrets(), `${label}: the namespace's TLS Secrets`);
        const jvm = list.items.find((s) => s.metadata.name === JVM_TRUSTSTORE);
        assert.ok(jvm, `${label}: no ${JVM_TRUSTSTORE} Secret`);
        return { label, tls, jvm, svc: await get<SpinnakerService>(run!.spinnakerServicePath) };
    }

    /**
     * resourceVersion of every Kubernetes object in the stack's state and of
     * every Secret in the namespace: any write moves it, whoever writes.
     */
    async function clusterVersions(): Promise<Map<string, string>> {
        const out = new Map<string, string>();
        for (const r of await exportedResources(run!)) {
            if (!r.type.startsWith("kubernetes:")) continue;
            const p = apiPath(r);
            if (p) out.set(p, (await get<{ metadata: { resourceVersion: string } }>(p)).metadata.resourceVersion);
        }
        for (const s of (await get<{ items: Secret[] }>(`/api/v1/namespaces/${ns()}/secrets`)).items) out.set(`secret ${s.metadata.name}`, s.metadata.resourceVersion);
        assert.ok(out.size > expectedTlsSecrets().length, `only ${out.size} objects found`);
        return out;
    }

    const up = (args: string[] = [], pack = true): Promise<Up> => pulumiUp(run!, args, pack);
    const setPhase = async (phase: Phase) => run!.ws.ok(["config", "set", key("caRotation"), phase], run!.project);
    const withForce = <T>(phase: string, f: () => Promise<T>): Promise<T> => withForceOn(run!, phase, f);

    /**
     * Each TLS Secret: the CAs its ca.crt holds and the CA its tls.crt chains to, by key (fpOf): the leaf,
     * then the issuing CA it carries (a generated CA's; the Go services' leaves carry none), each signed by the next.
     */
    function trustOf(snap: Snapshot): Map<string, { ca: string[]; signers: string[]; leaf: string }> {
        const out = new Map<string, { ca: string[]; signers: string[]; leaf: string }>();
        for (const [name, s] of snap.tls) {
            const ca = certsOf(data(s, "ca.crt").toString());
            const chain = certsOf(data(s, "tls.crt").toString());
            for (let i = 1; i < chain.length; i++) assert.ok(chain[i - 1].checkIssued(chain[i]) && chain[i - 1].verify(chain[i].publicKey), `${snap.label}: ${name}'s tls.crt: certificate ${i} did not sign certificate ${i - 1}`);
            out.set(name, { ca: ca.map(fpOf), signers: signersOf(chain[chain.length - 1], cas.values()), leaf: fpOf(chain[0]) });
        }
        return out;
    }
    /** The certificates of a Secret's PKCS#12 trust store, by key (fpOf). */
    const truststoreOf = async (s: Secret) => (await readP12(data(s, "truststore.p12"), data(s, "truststore-password"), work)).certs.map(fpOf);

    /** The two ways orca and gate read one deployment (see the header). */
    async function materialsOf(snap: Snapshot): Promise<Materials> {
        const secret = (svc: string) => snap.tls.get(`spin-${svc}-tls`)!;
        const keystore = async (svc: string) => {
            const s = secret(svc);
            const ks = await readP12(data(s, "keystore.p12"), data(s, "keystore-password"), work);
            assert.ok(ks.keyPem, `${svc}: keystore.p12 holds no key`);
            const key = crypto.createPrivateKey(ks.keyPem);
            const leaf = ks.certs.find((c) => c.checkPrivateKey(key));
            assert.ok(leaf, `${svc}: no certificate in keystore.p12 matches its key`);
            // The keystore is what a Java service serves: the same leaf as tls.crt.
            assert.strictEqual(fpOf(leaf), fpOf(certsOf(data(s, "tls.crt").toString())[0]), `${snap.label}: ${svc}'s keystore.p12 and tls.crt hold different leaves`);
            return { chainPem: [leaf, ...ks.certs.filter((c) => c !== leaf)].map((c) => c.toString()).join(""), keyPem: ks.keyPem };
        };
        const pemsOf = (ps: crypto.X509Certificate[]) => ps.map((c) => c.toString()).join("");
        const jvm = await readP12(data(snap.jvm, "truststore.p12"), data(snap.jvm, "truststore-password"), work);
        const pemParty = (svc: string): Party => {
            const s = secret(svc);
            return { label: `${svc}@${snap.label}`, chainPem: data(s, "tls.crt").toString(), keyPem: data(s, "tls.key").toString(), trustPem: data(s, "ca.crt").toString() };
        };
        return {
            label: snap.label,
            java: {
                server: { label: `${SERVER_SVC}@${snap.label}`, ...(await keystore(SERVER_SVC)), trustPem: pemsOf((await readP12(data(secret(SERVER_SVC), "truststore.p12"), data(secret(SERVER_SVC), "truststore-password"), work)).certs) },
                client: { label: `${CLIENT_SVC}@${snap.label}`, ...(await keystore(CLIENT_SVC)), trustPem: pemsOf(jvm.certs) },
            },
            pem: { server: pemParty(SERVER_SVC), client: pemParty(CLIENT_SVC) },
        };
    }

    const serverHost = () => `spin-${SERVER_SVC}.${ns()}.svc`;
    /** Every mix of two deployments' materials, both ways of reading them. */
    async function matrix(a: Materials, b: Materials): Promise<Handshake[]> {
        const out: Handshake[] = [];
        for (const flavor of ["java" as const, "pem" as const]) {
            for (const s of [a, b]) {
                for (const c of [a, b]) {
                    const name = flavor === "java" ? "Java stores (keystore.p12, truststore.p12; client: JVM truststore)" : "PEM files (tls.crt, tls.key, ca.crt)";
                    out.push(await handshake(work, name, s[flavor].server, c[flavor].client, serverHost()));
                }
            }
        }
        for (const h of out) console.log(`        ${describeHandshake(h)}`);
        return out;
    }

    /** Judges a deployment's stores and signatures against the model, with `current`/`next` by key (fpOf). */
    async function assertPhase(snap: Snapshot, phase: Phase, roles: Record<Role, string>) {
        const want = { trusted: sorted(MODEL[phase].trusted.map((r) => roles[r])), signer: roles[MODEL[phase].signer] };
        const trust = trustOf(snap);
        for (const [name, t] of trust) {
            assert.deepStrictEqual(sorted(t.ca), want.trusted, `${snap.label}: ${name}'s ca.crt holds ${t.ca.map(shortFp)}, not ${want.trusted.map(shortFp)}`);
            assert.deepStrictEqual(t.signers, [want.signer], `${snap.label}: ${name}'s tls.crt is signed by ${t.signers.map(shortFp)}, not ${shortFp(want.signer)}`);
        }
        const java = [...snap.tls.keys()].filter((n) => snap.tls.get(n)!.data?.["truststore.p12"] !== undefined);
        assert.deepStrictEqual(sorted(java), sorted(services().filter((s) => JAVA_SERVICES.includes(s)).map((s) => `spin-${s}-tls`)), `${snap.label}: the Secrets holding truststore.p12`);
        for (const n of java) assert.deepStrictEqual(sorted(await truststoreOf(snap.tls.get(n)!)), want.trusted, `${snap.label}: ${n}'s truststore.p12`);
        // The JVM truststore: the public roots it always had, plus exactly the trusted Spinnaker CAs.
        const jvm = await truststoreOf(snap.jvm);
        assert.deepStrictEqual(publicRoots.filter((f) => !jvm.includes(f)), [], `${snap.label}: public roots missing from the JVM truststore`);
        assert.deepStrictEqual(sorted(jvm.filter((f) => !publicRoots.includes(f))), want.trusted, `${snap.label}: the Spinnaker CAs in ${JVM_TRUSTSTORE}`);
        console.log(`      ${snap.label}: every store trusts ${want.trusted.map(shortFp).join(" + ")}; every tls.crt signed by ${shortFp(want.signer)} (${trust.size} TLS Secrets, ${java.length} Java truststores, the JVM truststore)`);
    }

    /** The one CA certificate in the Secrets' ca.crt not seen before (a trust-both's next CA), now known. */
    function newCa(snap: Snapshot): string {
        const fresh = new Map<string, crypto.X509Certificate>();
        for (const s of snap.tls.values()) for (const c of certsOf(data(s, "ca.crt").toString())) if (!cas.has(fpOf(c))) fresh.set(fpOf(c), c);
        assert.strictEqual(fresh.size, 1, `${snap.label}: new CAs in the Secrets' ca.crt: ${[...fresh.keys()].map(shortFp)}`);
        const [[fp, cert]] = [...fresh];
        assert.ok(isRootCa(cert), `${snap.label}: the new certificate in ca.crt is not a self-signed CA`);
        cas.set(fp, cert);
        return fp;
    }

    const podChecksum = (svc: SpinnakerService, name: string): string | undefined =>
        ((svc.spec.spinnakerConfig["service-settings"] as Record<string, { kubernetes?: { podAnnotations?: Record<string, string> } }> | undefined)?.[name]?.kubernetes?.podAnnotations ?? {})[CHECKSUM];

    /**
     * The Kubernetes side of one phase's up, from its engine events: every TLS
     * Secret and the SpinnakerService patch updated exactly once (in place: no
     * Kubernetes object created, replaced or deleted), the JVM truststore
     * updated once when the trusted CAs change and not at all otherwise, and
     * nothing else touched but workloads rolling on a checksum.
     */
    function assertKubernetesChanges(label: string, changes: Map<string, string[]>, state: StateResource[], jvmChanges: boolean): string[] {
        const secretUrn = (name: string) => state.find((r) => r.type === SECRET_TYPE && (r.outputs?.metadata as { name?: string } | undefined)?.name === name)?.urn;
        const tlsUrns = expectedTlsSecrets().map((n) => {
            const u = secretUrn(n);
            assert.ok(u, `${label}: no Secret ${n} in the state`);
            return u;
        });
        const jvmUrn = secretUrn(JVM_TRUSTSTORE);
        assert.ok(jvmUrn, `${label}: no ${JVM_TRUSTSTORE} in the state`);
        const patches = state.filter((r) => /SpinnakerServicePatch$/.test(r.type)).map((r) => r.urn);
        assert.strictEqual(patches.length, 1, `${label}: SpinnakerService patches in the state: ${patches.join(", ")}`);
        for (const u of tlsUrns) assert.deepStrictEqual(changes.get(u) ?? [], ["update"], `${label}: ${urnName(u)}`);
        assert.deepStrictEqual(changes.get(patches[0]) ?? [], ["update"], `${label}: the SpinnakerService patch (one rolling restart per phase)`);
        assert.deepStrictEqual(changes.get(jvmUrn) ?? [], jvmChanges ? ["update"] : [], `${label}: ${JVM_TRUSTSTORE}`);
        const accounted = [...tlsUrns, jvmUrn, patches[0]];
        // Workloads whose pod template carries a Secret's checksum (Redis's StatefulSet) roll once, in place.
        const workloads = [...changes.keys()].filter((u) => urnType(u) === "kubernetes:apps/v1:StatefulSet" || urnType(u) === "kubernetes:apps/v1:Deployment");
        for (const u of workloads) assert.deepStrictEqual(changes.get(u), ["update"], `${label}: ${urnName(u)}`);
        const others = [...changes.keys()].filter((u) => urnType(u).startsWith("kubernetes:") && !accounted.includes(u) && !workloads.includes(u));
        assert.deepStrictEqual(others.map((u) => `${changes.get(u)!.join("+")} ${urnName(u)}`), [], `${label}: other Kubernetes objects changed`);
        return [...accounted, ...workloads];
    }

    before(async function () {
        console.log(`      ${standInNotice()}`);
        run = await startStackRun(STACK);
        // The gate's switch comes from the test alone, never from the shell.
        delete run.ws.env[FORCE_ENV];
        work = fs.mkdtempSync(path.join(run.ws.dir, "handshakes-"));
    });

    after(async function () {
        await run?.stop();
    });

    it("pulumi up with caRotation none: every TLS Secret's ca.crt holds one CA, which signed every tls.crt", async function () {
        assert.strictEqual(run!.config[key("caRotation")], undefined, "Pulumi.dev.yaml sets caRotation: the drill starts from the default");
        const r = await up();
        assert.strictEqual(r.code, 0, r.text.slice(-3000));
        assert.strictEqual(summaryOf(r.events)!.result, "succeeded");
        const snap = await snapshot("none");
        // The current CA: the one certificate every ca.crt holds, a self-signed CA.
        const held = new Set<string>();
        for (const [name, s] of snap.tls) {
            const ca = certsOf(data(s, "ca.crt").toString());
            assert.strictEqual(ca.length, 1, `${name}'s ca.crt holds ${ca.length} certificates`);
            assert.ok(isRootCa(ca[0]), `${name}'s ca.crt is not a self-signed CA certificate`);
            held.add(fpOf(ca[0]));
            cas.set(fpOf(ca[0]), ca[0]);
        }
        assert.strictEqual(held.size, 1, `the Secrets' ca.crt hold different CAs: ${[...held].map(shortFp)}`);
        gen.push([...held][0]);
        for (const [name, t] of trustOf(snap)) console.log(`        ${name}: ca.crt ${t.ca.map(shortFp).join(", ")}; tls.crt ${shortFp(t.leaf)} signed by ${t.signers.map(shortFp).join(", ") || "none of them"}`);
        // The JVM truststore holds the CA among its public roots: those are the baseline for every later phase.
        const jvm = await truststoreOf(snap.jvm);
        assert.ok(jvm.includes(gen[0]), `${JVM_TRUSTSTORE} does not hold the CA`);
        publicRoots = jvm.filter((f) => f !== gen[0]);
        assert.ok(publicRoots.length > 0, `${JVM_TRUSTSTORE} holds no public roots`);
        await assertPhase(snap, "none", { current: gen[0], next: "" });
        materials.set("none", await materialsOf(snap));
        first = last = snap;
    });

    it("the handshake runner's controls: an unrelated CA (same subject name), no client certificate and a wrong host name are refused; the unrelated pair itself handshakes", async function () {
        // An impostor CA with the real CA's subject name, and a leaf for orca's
        // names with both usages, made by OpenSSL; well formed for -x509_strict.
        const imp = await makeImpostor(work, cas.get(gen[0])!, [serverHost(), `spin-${CLIENT_SVC}.${ns()}.svc`], `spin-${SERVER_SVC}`);
        const impostor = imp.party;
        const real = materials.get("none")!;
        const cases: [string, Party, Party, string, boolean][] = [
            ["impostor pair", impostor("impostor server"), impostor("impostor client"), serverHost(), true],
            ["real pair (PEM)", real.pem.server, real.pem.client, serverHost(), true],
            ["real pair (Java stores)", real.java.server, real.java.client, serverHost(), true],
            ["client certificate from the unrelated CA", real.pem.server, { ...impostor("impostor client"), trustPem: real.pem.client.trustPem }, serverHost(), false],
            ["server certificate from the unrelated CA", { ...impostor("impostor server"), trustPem: real.pem.server.trustPem }, real.pem.client, serverHost(), false],
            ["server certificate from the unrelated CA (Java stores)", { ...impostor("impostor server"), trustPem: real.java.server.trustPem }, real.java.client, serverHost(), false],
            ["client without a certificate", real.pem.server, { label: "gate without a certificate", trustPem: real.pem.client.trustPem }, serverHost(), false],
            ["wrong host name", real.pem.server, real.pem.client, `spin-nothere.${ns()}.svc`, false],
        ];
        const wrong: string[] = [];
        for (const [what, s, c, host, want] of cases) {
            const h = await handshake(work, what, s, c, host);
            console.log(`        ${describeHandshake(h)}`);
            if (h.ok !== want) wrong.push(`${what}: ${h.ok ? "made" : "failed"} (${h.why})`);
        }
        assert.deepStrictEqual(wrong, [], "the handshake runner judged a control wrongly");
    });

    it("the gate: trust-next and issue-next straight from none are refused before anything is registered, naming spinnaker-mtls:caRotation; nothing in the cluster changes", async function () {
        const before = await clusterVersions();
        const stateBefore = await exportedResources(run!);
        await setPhase("trust-next");
        const r = await up();
        assert.notStrictEqual(r.code, 0, "pulumi up from none to trust-next succeeded");
        assert.match(r.text, /spinnaker-mtls:caRotation/, "the refusal does not name spinnaker-mtls:caRotation");
        assert.strictEqual(summaryOf(r.events)!.result, "failed");
        // Before anything is registered: the engine saw only the stack itself (the gate
        // reads the last deployment through a builtin function, which registers nothing).
        const registered = r.events.map((e) => e.resourcePreEvent?.metadata).filter((m): m is StepMeta => !!m).map((m) => m.type);
        assert.deepStrictEqual([...new Set(registered)].filter((t) => !STACK_TYPES.includes(t)), [], "resources registered before the refusal");
        assert.deepStrictEqual([...changesOf(r.events).keys()], []);
        // A second refused step, which the gate can judge only if the failed up
        // kept the last deployment's record (caTrust) in the stack's outputs.
        await setPhase("issue-next");
        const p = await run!.ws.run(["preview", ...run!.policyArgs], run!.project);
        assert.notStrictEqual(p.code, 0, "pulumi preview from none to issue-next succeeded");
        assert.match(`${p.stdout}\n${p.stderr}`, /spinnaker-mtls:caRotation/);
        assert.deepStrictEqual(await clusterVersions(), before, "objects in the cluster changed");
        // The state: the same resources, none modified.
        const stamps = (rs: StateResource[]) => rs.map((x) => `${x.urn} ${STACK_TYPES.includes(x.type) ? "" : x.modified}`);
        assert.deepStrictEqual(stamps(await exportedResources(run!)), stamps(stateBefore), "the state's resources changed");
    });

    const WALK: { phase: Phase; prev: Phase; leavesReissued: boolean }[] = [
        { phase: "trust-both", prev: "none", leavesReissued: false },
        { phase: "issue-next", prev: "trust-both", leavesReissued: true },
        { phase: "trust-next", prev: "issue-next", leavesReissued: false },
    ];
    for (const step of WALK) {
        it(`caRotation ${step.prev} → ${step.phase}: the stores and signatures of the phase, each service Secret and the patch updated once, and zero failed handshakes across the two deployments`, async function () {
            assert.ok(last && last.label === step.prev, `the walk is not at ${step.prev} (an earlier step failed)`);
            const prev = last;
            const stateBefore = await exportedResources(run!);
            await setPhase(step.phase);
            const r = await up();
            assert.strictEqual(r.code, 0, r.text.slice(-3000));
            assert.strictEqual(summaryOf(r.events)!.result, "succeeded");
            assertSummaryMatches(step.phase, r.events);
            const changes = changesOf(r.events);
            console.log(`      ${step.phase}: ${[...changes].map(([u, ops]) => `${ops.join("+")} ${urnName(u)}`).join(", ")}`);
            // For bench/ca-rotation.md (never asserted): the phase's pulumi up, the policy pack included.
            console.log(`      ${step.phase}: pulumi up took ${r.seconds.toFixed(1)} s`);
            const snap = await snapshot(step.phase);

            // The next CA: at trust-both, the one certificate beside the current CA in ca.crt.
            if (step.phase === "trust-both") gen.push(newCa(snap));
            const roles = { current: gen[0], next: gen[1] };
            await assertPhase(snap, step.phase, roles);

            // Per Secret, against the previous deployment: the key never changes;
            // tls.crt changes only when the leaves are re-signed (issue-next).
            for (const [name, s] of snap.tls) {
                const p = prev.tls.get(name)!;
                assert.strictEqual(s.data?.["tls.key"], first!.tls.get(name)!.data?.["tls.key"], `${step.phase}: ${name}'s tls.key changed`);
                assert.strictEqual(s.data?.["tls.crt"] !== p.data?.["tls.crt"], step.leavesReissued, `${step.phase}: ${name}'s tls.crt ${step.leavesReissued ? "did not change" : "changed"}`);
                assert.notStrictEqual(s.metadata.resourceVersion, p.metadata.resourceVersion, `${step.phase}: ${name} was not written`);
            }
            // The JVM truststore changes exactly when the trusted CAs do (trust-both adds, trust-next drops).
            const jvmChanges = sorted(MODEL[step.phase].trusted).join() !== sorted(MODEL[step.prev].trusted).join();
            assert.strictEqual(snap.jvm.metadata.resourceVersion !== prev.jvm.metadata.resourceVersion, jvmChanges, `${step.phase}: ${JVM_TRUSTSTORE} ${jvmChanges ? "was not written" : "was written"}`);
            assert.strictEqual(JSON.stringify(snap.jvm.data) !== JSON.stringify(prev.jvm.data), jvmChanges, `${step.phase}: ${JVM_TRUSTSTORE}'s data ${jvmChanges ? "did not change" : "changed"}`);
            // One rolling restart per phase: every service's pod checksum moved once.
            for (const svc of services()) {
                const [b, a] = [podChecksum(prev.svc, svc), podChecksum(snap.svc, svc)];
                assert.ok(b && a && a !== b, `${step.phase}: ${svc}'s ${CHECKSUM} ${b} → ${a}`);
            }

            // From the up's events: the Kubernetes objects, and the PKI behind them.
            const accounted = assertKubernetesChanges(step.phase, changes, stateBefore, jvmChanges);
            const stateAfter = await exportedResources(run!);
            const ofType = (t: string) => [...changes.keys()].filter((u) => urnType(u) === t);
            // The leaves; a generated CA's issuing CA is a LocallySignedCert too, a CA part (caParts below).
            const isIssuingCa = (u: string) => urnName(u).endsWith("-issuing-cert");
            const leafCerts = stateBefore.filter((x) => x.type === "tls:index/locallySignedCert:LocallySignedCert" && !isIssuingCa(x.urn)).map((x) => x.urn);
            assert.ok(leafCerts.length >= expectedTlsSecrets().length, `${leafCerts.length} leaf certificates in the state`);
            const replacedLeaves = ofType("tls:index/locallySignedCert:LocallySignedCert").filter((u) => !isIssuingCa(u));
            assert.deepStrictEqual(sorted(replacedLeaves), step.leavesReissued ? sorted(leafCerts) : [], `${step.phase}: leaf certificates re-issued`);
            for (const u of replacedLeaves) assert.ok(changes.get(u)!.includes("replace"), `${step.phase}: ${urnName(u)}: ${changes.get(u)}`);
            const caEvents = (op: string) => [...changes.keys()].filter((u) => urnType(u) === "tls:index/selfSignedCert:SelfSignedCert" && changes.get(u)!.includes(op));
            const certPemOf = (u: string, side: "old" | "new") => {
                const m = r.events.map((e) => e.resOutputsEvent?.metadata).find((x) => x && x.urn === u && x.op !== "same");
                return String(m?.[side]?.outputs?.certPem ?? "");
            };
            // trust-both creates exactly the next CA; trust-next deletes exactly the current one.
            assert.deepStrictEqual(caEvents("create").map((u) => fpOf(new crypto.X509Certificate(certPemOf(u, "new")))), step.phase === "trust-both" ? [gen[1]] : [], `${step.phase}: CA certificates created`);
            assert.deepStrictEqual(caEvents("delete").map((u) => fpOf(new crypto.X509Certificate(certPemOf(u, "old")))), step.phase === "trust-next" ? [gen[0]] : [], `${step.phase}: CA certificates deleted`);
            // Nothing else of the PKI: no service key or password changes; a CA's
            // key comes and goes with its certificate, inside the CA's component.
            const caCerts = [...caEvents("create"), ...caEvents("delete")];
            const parentOf = (u: string) => (([...stateBefore, ...stateAfter].find((x) => x.urn === u) as { parent?: string } | undefined)?.parent);
            const caParts = caCerts.flatMap((c) => {
                const component = parentOf(c);
                assert.ok(component && urnType(component) === "spinnaker-mtls:pki:CertificateAuthority", `${urnName(c)}'s parent is ${component}`);
                return [component, ...[...changes.keys()].filter((u) => parentOf(u) === component)];
            });
            for (const u of caParts) assert.deepStrictEqual(changes.get(u), [step.phase === "trust-both" ? "create" : "delete"], `${step.phase}: ${urnName(u)}`);
            // Each CA's two keys: its root's and its issuing CA's.
            assert.strictEqual(caParts.filter((u) => urnType(u) === "tls:index/privateKey:PrivateKey").length, 2 * caCerts.length, `${step.phase}: CA keys created or deleted: ${caParts.map(urnName)}`);
            const unexplained = [...changes.keys()].filter((u) => !accounted.includes(u) && !replacedLeaves.includes(u) && !caParts.includes(u));
            assert.deepStrictEqual(unexplained.map((u) => `${changes.get(u)!.join("+")} ${urnName(u)} (${urnType(u)})`), [], `${step.phase}: other resources changed`);
            // The state holds no CA but the phase's: trust-next leaves the next CA alone.
            const stateCas = stateAfter.filter((x) => x.type === "tls:index/selfSignedCert:SelfSignedCert").map((x) => fpOf(new crypto.X509Certificate(String(x.outputs?.certPem))));
            assert.deepStrictEqual(sorted(stateCas), sorted(new Set([...MODEL[step.phase].trusted, MODEL[step.phase].signer].map((x) => roles[x]))), `${step.phase}: the CAs in the state`);

            // Live traffic: any pod of the previous deployment with any of this one.
            materials.set(step.phase, await materialsOf(snap));
            const hs = await matrix(materials.get(step.prev)!, materials.get(step.phase)!);
            assert.strictEqual(hs.length, 8);
            assert.deepStrictEqual(hs.filter((h) => !h.ok).map(describeHandshake), [], `${step.prev} → ${step.phase}: failed handshakes`);
            last = snap;
        });
    }

    it("finish: caGeneration 2 with caRotation none changes no object (preview --expect-no-changes exits 0; the following up changes nothing)", async function () {
        assert.ok(last && last.label === "trust-next", "the walk did not reach trust-next");
        const before = await clusterVersions();
        await run!.ws.ok(["config", "set", key("caGeneration"), "2"], run!.project);
        await setPhase("none");
        const p = await run!.ws.run(["preview", "--expect-no-changes", ...run!.policyArgs], run!.project);
        assert.strictEqual(p.code, 0, `pulumi preview --expect-no-changes exited ${p.code}:\n${`${p.stdout}\n${p.stderr}`.slice(-3000)}`);
        const r = await up();
        assert.strictEqual(r.code, 0, r.text.slice(-3000));
        console.log(`      finish: pulumi up took ${r.seconds.toFixed(1)} s`);
        assert.deepStrictEqual([...changesOf(r.events)].map(([u, ops]) => `${ops.join("+")} ${urnName(u)}`), [], "the finishing up changed resources");
        assert.deepStrictEqual(Object.keys(summaryOf(r.events)!.resourceChanges ?? {}).filter((op) => op !== "same" && op !== "read"), []);
        assert.deepStrictEqual(await clusterVersions(), before, "objects in the cluster changed");
        // The finished stack: generation 2 is the current CA, alone.
        const snap = await snapshot("finished");
        await assertPhase(snap, "none", { current: gen[1], next: "" });
        last = snap;
    });

    it("negative control: a second rotation forced from trust-both straight to trust-next (after the gate and, in preview, the pack refuse it) fails handshakes across the two deployments", async function () {
        assert.ok(last && last.label === "finished", "the first rotation did not finish");
        // Generation 2 → 3, trust-both: its one new CA is generation 3.
        await setPhase("trust-both");
        let r = await up();
        assert.strictEqual(r.code, 0, r.text.slice(-3000));
        const tb = await snapshot("trust-both(2)");
        gen.push(newCa(tb));
        const roles = { current: gen[1], next: gen[2] };
        await assertPhase(tb, "trust-both", roles);
        materials.set("trust-both(2)", await materialsOf(tb));

        // The gate refuses the skip, and a force naming another phase does not open it.
        const before = await clusterVersions();
        await setPhase("trust-next");
        for (const force of [undefined, "issue-next"]) {
            r = force ? await withForce(force, () => up()) : await up();
            assert.notStrictEqual(r.code, 0, `trust-both → trust-next went through${force ? ` with ${FORCE_ENV}=${force}` : ""}`);
            assert.match(r.text, /spinnaker-mtls:caRotation/);
        }
        assert.deepStrictEqual(await clusterVersions(), before, "objects in the cluster changed on a refused step");

        // Forced past the program's gate, the policy pack still refuses it in the preview
        // (ca-rotation-step, mandatory in dev too), before anything is changed.
        const previewed = await withForce("trust-next", () => run!.ws.run(["preview", ...run!.policyArgs], run!.project, 1_200_000));
        assert.notStrictEqual(previewed.code, 0, "the pack let a forced skip through its preview");
        assert.match(`${previewed.stdout}\n${previewed.stderr}`, /ca-rotation-step[\s\S]*CA 'generated 2 ECDSA-P256 O=Spinnaker' signed the last deployment's certificates, but this deployment's stores do not hold it/);
        assert.deepStrictEqual(await clusterVersions(), before, "objects in the cluster changed on a refused preview");

        // Forced, knowingly, and without the pack: it goes through, says so, and deploys trust-next.
        r = await withForce("trust-next", () => up([], false));
        assert.strictEqual(r.code, 0, r.text.slice(-3000));
        const warnings = r.events.map((e) => e.diagnosticEvent).filter((d) => d?.severity === "warning").map((d) => d!.message);
        assert.ok(warnings.some((w) => w.includes(`${FORCE_ENV}=trust-next`)), `no warning naming ${FORCE_ENV}=trust-next`);
        const tn = await snapshot("forced trust-next(2)");
        await assertPhase(tn, "trust-next", roles);
        materials.set(tn.label, await materialsOf(tn));

        // The same mixes as an allowed step: within one deployment they handshake,
        // across the two they fail, both ways and both ways of reading the stores.
        const hs = await matrix(materials.get("trust-both(2)")!, materials.get(tn.label)!);
        assert.ok(hs.some((h) => !h.ok), "no handshake failed across a forced skip");
        const across = (h: Handshake) => h.server.split("@")[1] !== h.client.split("@")[1];
        assert.deepStrictEqual(hs.filter((h) => h.ok === across(h)).map(describeHandshake), [], "handshakes other than the mixes across the two deployments failed, or mixes across them were made");
        last = tn;
    });
});

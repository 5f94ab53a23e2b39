// CA rotation drill on the prod stack (issue 21, certificateBackend
// cert-manager): the real Pulumi CLI 3.248.0 and the real Kubernetes provider
// against a real kube-apiserver, with cert-manager v1.21.2's own controller and
// webhook issuing prod's Certificates, walked through caRotation none →
// trust-both → issue-next → trust-next, one `pulumi up` each, then finished
// (caGeneration 2, caRotation removed). After every step the test reads the
// objects back from the API server and judges them against its own model of
// the phases (support/cliRotationDrill.ts, not the code's):
//
//   phase        every store trusts     every leaf signed by
//   none         current                current
//   trust-both   current + next         current
//   issue-next   current + next         next
//   trust-next   next                   next
//
// Under cert-manager "every store" is what the consumers read their trust
// from: the program's trust Secret spinnaker-mtls-ca-trust (ca.crt, current
// first, and truststore.p12), the JVM truststore Secret
// (spinnaker-mtls-jvm-truststore) and terraformer's root-signed Secret
// (spin-terraformer-root-signed-tls, whose ca.crt is the bundle). "Every leaf"
// is each Secret cert-manager wrote for a Certificate (in Spinnaker's
// namespace and the ingress gateway's), judged once its Certificate is Ready
// with the phase's Issuer, and terraformer's leaf, which the root itself
// signs. cert-manager's own ca.crt and truststore.p12 in spin-<svc>-tls are
// judged by nothing but the check that no reference in the SpinnakerService
// patch reads them. A CA is known by the SHA-256 of its public key; which CA
// signed a chain is decided by signature.
//
// Per step, besides the stores and signers: every Certificate names the Issuer
// of the phase's signer (spinnaker-mtls-ca for generation 1,
// spinnaker-mtls-ca-g<n> after), and at issue-next the test waits until
// cert-manager has re-issued each one from the next CA (Ready for its current
// generation, its Secret annotated with the new Issuer, its tls.crt chaining to
// the next root); the trust Secret is written exactly when the trusted CAs
// change; in the SpinnakerService patch each cert-manager service's
// spinnaker-mtls/ca-trust-checksum (and the JVM truststore's checksum) moves
// exactly at trust-both and trust-next, and its spinnaker-mtls/tls-checksum
// never (Reloader restarts the pods on cert-manager's re-issued Secret);
// terraformer, whose Secret the program rewrites every phase, rolls on its own
// tls-checksum instead; Redis's StatefulSets never change (Redis reloads in
// place). Then live handshakes: real OpenSSL s_server/s_client on 127.0.0.1,
// both sides verifying with -verify_return_error (the server requires a client
// certificate), between the previous deployment's materials and this one's, in
// all four mixes, three ways: orca serving gate as the Java services read
// (keystore.p12 from spin-<svc>-tls, truststore.p12 from the trust Secret; the
// client side trusts the JVM truststore), as the PEM readers do (tls.crt and
// tls.key from spin-<svc>-tls, ca.crt from the trust Secret), and Redis-style
// (spin-redis's tls.crt and tls.key with the trust Secret's ca.crt, as its
// projected volume mounts them, serving gate's JVM-wide stores, as kork's
// Redis client reads them). Every allowed step must have zero failed
// handshakes. The per-phase figures (each `pulumi up`'s wall time,
// cert-manager's re-issue, handshakes made and failed) are printed as lines
// starting "figures:" and, at the end, as a table.
//
// Controls:
// - the handshake runner's: a peer from an unrelated CA (with the real CA's
//   subject name), a client without a certificate and a wrong host name are
//   refused, while the unrelated CA's own pair handshakes;
// - the gate: trust-next straight from none is refused before anything is
//   registered, naming spinnaker-mtls:caRotation, with nothing in the cluster
//   touched;
// - the negative control: after the finish, a second rotation (generation 2 →
//   3) goes to trust-both and is then forced straight to trust-next
//   (SPINNAKER_MTLS_FORCE_CA_ROTATION=trust-next, that one up without the
//   policy pack, after the gate and the pack have refused it). Across those two
//   deployments every mix fails, each way of reading; within each, all succeed.
//
// Not covered here: pods, Reloader and the kubelet. This cluster runs no
// kubelet, so no pod exists and nothing restarts; the program's convergence
// check finds no pod to wait for, and the restarts are stood for by the
// annotations above (test/e2e/rotationStatus.e2e.test.ts creates Pod objects
// to test that check). Redis's in-place reload (its tls-reload container) is
// not run here: the Redis-style handshake reads the files its projected volume
// would hold. The handshakes are OpenSSL's, not JSSE's or go-yaml-tools'
// (test/peers/caRotationDrill.test.ts runs those on the pulumi backend).
//
// Three parts are this project's STAND-INS (the Go module proxy refuses the
// upstream modules): the Node.js language host and the tls and random
// providers (test/e2e/build/standins/README.md); the test prints which. The
// CA and terraformer's leaf are made by the stand-in's Go code; every other
// leaf is issued by cert-manager's own controller; the gate, the CLI's engine,
// the Kubernetes provider and the API server are the real ones.
//
// Every process the test starts (the cluster, cert-manager, the CLI, each
// openssl) runs in a process group registered with the run
// (support/processes.ts); an interrupted run's groups are stopped by run.sh's
// trap or its reaper.
//
// Run: bash test/e2e/run.sh test/e2e/caRotationCertManager.e2e.test.ts
import * as assert from "assert";
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { CertManagerServing, NO_ACME_OVERRIDES, applyConfigOverrides, secretKeyReferences, serveCertManager, waitUntil } from "./support/certManager";
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
    impostor,
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

const STACK = "prod";
/** Namespaces of what prod expects installed (prod.e2e.test.ts). */
const USER_NAMESPACES = ["cert-manager", "istio-system"];
/** The program's CA trust bundle (components/pki/caTrustBundle.ts), read by every consumer under cert-manager. */
const TRUST_SECRET = "spinnaker-mtls-ca-trust";
/** The CA Issuer of a CA generation, as issue 21's cert-manager design names it. */
const issuerName = (generation: number) => (generation === 1 ? "spinnaker-mtls-ca" : `spinnaker-mtls-ca-g${generation}`);
/** The Go services: the program signs their leaf with the root, into a Secret of their own. */
const GO_SERVICES = ["dinghy", "terraformer"];
const rootSigned = (svc: string) => `spin-${svc}-root-signed-tls`;
const keystorePassword = (svc: string) => `spin-${svc}-keystore-password`;
const TLS_CHECKSUM = "spinnaker-mtls/tls-checksum";
const CA_TRUST_CHECKSUM = "spinnaker-mtls/ca-trust-checksum";
const JVM_CHECKSUM = "spinnaker-mtls/jvm-truststore-checksum";
const RELOADER = "secret.reloader.stakater.com/reload";
/** cert-manager's annotation on the Secrets it writes: the Issuer that signed what they hold. */
const ISSUER_ANNOTATION = "cert-manager.io/issuer-name";
/** The pair the handshakes use: orca serves, gate calls it; and gate calls Redis. */
const SERVER_SVC = "orca";
const CLIENT_SVC = "gate";
const SECRET_TYPE = "kubernetes:core/v1:Secret";
const CERTIFICATE_TYPE = "kubernetes:cert-manager.io/v1:Certificate";
const STATEFULSET_TYPE = "kubernetes:apps/v1:StatefulSet";
/** How long cert-manager may take to re-issue every Certificate: a bound on a stuck controller, never a timing assertion. */
const REISSUE_GUARD_MS = 600_000;

type Condition = { type: string; status: string; reason?: string; message?: string; observedGeneration?: number };
interface KObj { metadata: { name: string; namespace?: string; resourceVersion: string; generation?: number; annotations?: Record<string, string> } }
interface Certificate extends KObj { spec: { secretName: string; issuerRef: { name: string; kind?: string } }; status?: { conditions?: Condition[] } }
interface Issuer extends KObj { spec: { ca?: { secretName: string } }; status?: { conditions?: Condition[] } }
type CmSecret = Secret & { metadata: { namespace?: string; annotations?: Record<string, string> } };
interface StatefulSet extends KObj { spec: { template: { metadata?: { annotations?: Record<string, string> }; spec: { volumes?: { name: string; projected?: { sources: { secret?: { name: string; items?: { key: string; path: string }[] } }[] }; secret?: { secretName: string } }[] } } } }

/** What one deployment gives the three handshakes (see the header). */
interface Materials { label: string; java: { server: Party; client: Party }; pem: { server: Party; client: Party }; redis: { server: Party; client: Party } }
const FLAVORS: Record<keyof Omit<Materials, "label">, string> = {
    java: "Java stores (keystore.p12 from spin-<svc>-tls, truststore.p12 from the trust Secret; client: JVM truststore)",
    pem: "PEM files (tls.crt, tls.key from spin-<svc>-tls; ca.crt from the trust Secret)",
    redis: "Redis-style (server spin-redis: tls.crt, tls.key from spin-redis-tls, ca.crt from the trust Secret; client gate's JVM stores)",
};

/** One line of the figures table. */
interface Figure { step: string; up?: number; reissue?: number; made?: number; failed?: number }

describe(`e2e: CA rotation drill on the ${STACK} stack with cert-manager's controller (caRotation none → trust-both → issue-next → trust-next → finish; gate and forced-skip controls; OpenSSL handshakes)`, function () {
    this.timeout(1_800_000);
    let run: StackRun | undefined;
    let certManager: CertManagerServing | undefined;
    let work = "";
    /** Every CA root seen, by key (fpOf), in the order first seen: generation 1, 2, 3. */
    const cas = new Map<string, crypto.X509Certificate>();
    const gen: string[] = [];
    const materials = new Map<string, Materials>();
    const snapshots: Snapshot[] = [];
    const figures: Figure[] = [];
    let last: Snapshot | undefined;
    /** The JVM truststore's certificates besides the Spinnaker CAs (public roots), from the first deployment. */
    let publicRoots: string[] = [];

    interface Snapshot {
        label: string;
        /** The generation of the rotation's current CA (1 in the walk, 2 in the negative control). */
        generation: number;
        /** Every Secret in Spinnaker's namespace, by name. */
        secrets: Map<string, CmSecret>;
        /** Every Certificate in the cluster, and the Secret each was issued into. */
        certificates: { cert: Certificate; secret: CmSecret }[];
        /** Every Issuer in the cluster, with its Secret when there is one. */
        issuers: { issuer: Issuer; secret?: CmSecret }[];
        svc: SpinnakerService;
        statefulSets: Map<string, StatefulSet>;
    }

    const request = async (p: string) => run!.cluster.request("GET", p);
    const get = async <T>(p: string): Promise<T> => {
        const r = await request(p);
        assert.strictEqual(r.status, 200, `GET ${p}: ${r.status}`);
        return JSON.parse(r.body) as T;
    };
    const ns = () => run!.namespace;
    const services = () => run!.config[key("services")] as string[];
    /** Behind the ingress Deck gets no certificate (issue 23). */
    const certified = () => services().filter((s) => !(run!.config[key("ingressHost")] !== undefined && s === "deck"));
    const goServices = () => certified().filter((s) => GO_SERVICES.includes(s));
    /** The services whose certificate cert-manager issues. */
    const cmServices = () => certified().filter((s) => !GO_SERVICES.includes(s));
    const javaServices = () => certified().filter((s) => JAVA_SERVICES.includes(s));
    /** The Secrets cert-manager writes in Spinnaker's namespace: each such service's and each Redis's. */
    const expectedCmSecrets = () => sorted([...cmServices().map((s) => `spin-${s}-tls`), "spin-redis-tls", ...(goServices().length > 0 ? ["spin-redis-go-tls"] : [])]);
    const secretOf = (snap: Snapshot, name: string): CmSecret => {
        const s = snap.secrets.get(name);
        assert.ok(s, `${snap.label}: no Secret ${name} in ${ns()}`);
        return s;
    };
    /** The rotation's CAs by key (fpOf), for a rotation from `generation`. */
    const rolesOf = (generation: number): Record<Role, string> => ({ current: gen[generation - 1], next: gen[generation] ?? "" });
    /** The generation whose CA signs in `phase` of a rotation from `generation`. */
    const signerGeneration = (generation: number, phase: Phase) => generation + (MODEL[phase].signer === "next" ? 1 : 0);

    async function snapshot(label: string, generation: number): Promise<Snapshot> {
        const list = await get<{ items: CmSecret[] }>(`/api/v1/namespaces/${ns()}/secrets`);
        const secrets = new Map(list.items.map((s) => [s.metadata.name, s] as const));
        const secretIn = async (namespace: string, name: string): Promise<CmSecret | undefined> => {
            if (namespace === ns()) return secrets.get(name);
            const r = await request(`/api/v1/namespaces/${namespace}/secrets/${name}`);
            return r.status === 200 ? (JSON.parse(r.body) as CmSecret) : undefined;
        };
        const certificates: Snapshot["certificates"] = [];
        for (const cert of (await get<{ items: Certificate[] }>("/apis/cert-manager.io/v1/certificates")).items) {
            const secret = await secretIn(cert.metadata.namespace!, cert.spec.secretName);
            assert.ok(secret, `${label}: Certificate ${cert.metadata.namespace}/${cert.metadata.name} has no Secret ${cert.spec.secretName}`);
            certificates.push({ cert, secret });
        }
        const issuers: Snapshot["issuers"] = [];
        for (const issuer of (await get<{ items: Issuer[] }>("/apis/cert-manager.io/v1/issuers")).items) {
            issuers.push({ issuer, secret: issuer.spec.ca ? await secretIn(issuer.metadata.namespace!, issuer.spec.ca.secretName) : undefined });
        }
        const statefulSets = new Map((await get<{ items: StatefulSet[] }>(`/apis/apps/v1/namespaces/${ns()}/statefulsets`)).items.map((s) => [s.metadata.name, s] as const));
        const snap: Snapshot = { label, generation, secrets, certificates, issuers, svc: await get<SpinnakerService>(run!.spinnakerServicePath), statefulSets };
        snapshots.push(snap);
        return snap;
    }

    /**
     * resourceVersion of every Kubernetes object in the stack's state (for
     * cert-manager's objects, whose status its controller writes, the spec's
     * generation) and of every Secret in the namespace: any write moves it.
     */
    async function clusterVersions(): Promise<Map<string, string>> {
        const out = new Map<string, string>();
        for (const r of await exportedResources(run!)) {
            if (!r.type.startsWith("kubernetes:")) continue;
            const p = apiPath(r);
            if (!p) continue;
            const o = await get<KObj>(p);
            out.set(p, r.type.startsWith("kubernetes:cert-manager.io/") ? `generation ${o.metadata.generation}` : o.metadata.resourceVersion);
        }
        for (const s of (await get<{ items: Secret[] }>(`/api/v1/namespaces/${ns()}/secrets`)).items) out.set(`secret ${s.metadata.name}`, s.metadata.resourceVersion);
        assert.ok(out.size > expectedCmSecrets().length, `only ${out.size} objects found`);
        return out;
    }

    const up = (args: string[] = [], pack = true): Promise<Up> => pulumiUp(run!, args, pack);
    const setPhase = async (phase: Phase) => run!.ws.ok(["config", "set", key("caRotation"), phase], run!.project);
    const withForce = <T>(phase: string, f: () => Promise<T>): Promise<T> => withForceOn(run!, phase, f);

    /** A PEM chain's certificates, each signed by the next, and the known roots that signed its last. */
    function chainOf(label: string, pem: string): { chain: crypto.X509Certificate[]; signers: string[] } {
        const chain = certsOf(pem);
        assert.ok(chain.length > 0, `${label}: no certificate`);
        for (let i = 1; i < chain.length; i++) assert.ok(chain[i - 1].checkIssued(chain[i]) && chain[i - 1].verify(chain[i].publicKey), `${label}: certificate ${i} did not sign certificate ${i - 1}`);
        return { chain, signers: signersOf(chain[chain.length - 1], cas.values()) };
    }
    const ready = (o: { metadata: { generation?: number }; status?: { conditions?: Condition[] } }) => {
        const c = o.status?.conditions?.find((x) => x.type === "Ready");
        return c?.status === "True" && (c.observedGeneration === undefined || c.observedGeneration === o.metadata.generation);
    };

    /**
     * Why a Certificate is not yet issued by `issuer` from the CA `signer`
     * (Ready for its current spec, its Secret written by that Issuer, its chain
     * ending at that root); undefined when it is.
     */
    function notIssued(c: { cert: Certificate; secret?: CmSecret }, issuer: string, signer: string): string | undefined {
        const name = `${c.cert.metadata.namespace}/${c.cert.metadata.name}`;
        if (c.cert.spec.issuerRef.name !== issuer || (c.cert.spec.issuerRef.kind ?? "Issuer") !== "Issuer") return `${name} names ${c.cert.spec.issuerRef.kind} ${c.cert.spec.issuerRef.name}, not Issuer ${issuer}`;
        if (!ready(c.cert)) return `${name} is not Ready for generation ${c.cert.metadata.generation}: ${JSON.stringify(c.cert.status?.conditions ?? [])}`;
        if (!c.secret) return `${name}: no Secret`;
        if (c.secret.metadata.annotations?.[ISSUER_ANNOTATION] !== issuer) return `${name}'s Secret was written for ${c.secret.metadata.annotations?.[ISSUER_ANNOTATION]}, not ${issuer}`;
        const signers = signersOf(certsOf(data(c.secret, "tls.crt").toString()).pop()!, cas.values());
        if (signers.join() !== signer) return `${name}'s tls.crt chains to ${signers.map(shortFp).join(", ") || "no known root"}, not ${shortFp(signer)}`;
        return undefined;
    }

    /** Waits until cert-manager has issued every Certificate from `phase`'s signer through its Issuer; seconds waited. */
    async function awaitIssued(label: string, generation: number, phase: Phase): Promise<number> {
        const started = Date.now();
        const issuer = issuerName(signerGeneration(generation, phase));
        const signer = rolesOf(generation)[MODEL[phase].signer];
        let behind: string[] = [];
        await waitUntil(`${label}: cert-manager to issue every Certificate from ${issuer}`, REISSUE_GUARD_MS, async () => {
            if (certManager!.controller.child.exitCode !== null) throw new Error(`cert-manager's controller exited (${certManager!.controller.child.exitCode})`);
            behind = [];
            const certs = (await get<{ items: Certificate[] }>("/apis/cert-manager.io/v1/certificates")).items;
            for (const cert of certs) {
                const r = await request(`/api/v1/namespaces/${cert.metadata.namespace}/secrets/${cert.spec.secretName}`);
                const why = notIssued({ cert, secret: r.status === 200 ? (JSON.parse(r.body) as CmSecret) : undefined }, issuer, signer);
                if (why) behind.push(why);
            }
            return certs.length > 0 && behind.length === 0 ? true : undefined;
        }, () => behind.join("\n"));
        return (Date.now() - started) / 1000;
    }

    const pemsOf = (ps: crypto.X509Certificate[]) => ps.map((c) => c.toString()).join("");
    const p12Certs = async (s: Secret, store: string, passwordSecret: Secret, passwordKey: string) => (await readP12(data(s, store), data(passwordSecret, passwordKey), work)).certs;

    /** Judges a deployment's stores, signers and Issuers against the model, with `current`/`next` by key (fpOf). */
    async function assertPhase(snap: Snapshot, phase: Phase) {
        const roles = rolesOf(snap.generation);
        const trustedInOrder = MODEL[phase].trusted.map((r) => roles[r]);
        const want = { trusted: sorted(trustedInOrder), signer: roles[MODEL[phase].signer] };
        const issuer = issuerName(signerGeneration(snap.generation, phase));
        // The trust Secret: ca.crt holds the phase's roots, current first; truststore.p12 the same CAs.
        const trust = secretOf(snap, TRUST_SECRET);
        assert.deepStrictEqual(certsOf(data(trust, "ca.crt").toString()).map(fpOf), trustedInOrder, `${snap.label}: ${TRUST_SECRET}'s ca.crt holds ${certsOf(data(trust, "ca.crt").toString()).map((c) => shortFp(fpOf(c)))}, not ${trustedInOrder.map(shortFp)} in that order`);
        assert.deepStrictEqual(sorted((await p12Certs(trust, "truststore.p12", trust, "truststore-password")).map(fpOf)), want.trusted, `${snap.label}: ${TRUST_SECRET}'s truststore.p12`);
        // The JVM truststore: the public roots it always had, plus exactly the trusted Spinnaker CAs.
        const jvmSecret = secretOf(snap, JVM_TRUSTSTORE);
        const jvm = (await p12Certs(jvmSecret, "truststore.p12", jvmSecret, "truststore-password")).map(fpOf);
        assert.deepStrictEqual(publicRoots.filter((f) => !jvm.includes(f)), [], `${snap.label}: public roots missing from the JVM truststore`);
        assert.deepStrictEqual(sorted(jvm.filter((f) => !publicRoots.includes(f))), want.trusted, `${snap.label}: the Spinnaker CAs in ${JVM_TRUSTSTORE}`);
        // The Go services: the bundle as ca.crt, and a leaf the phase's root signed itself, presented alone.
        for (const svc of goServices()) {
            const s = secretOf(snap, rootSigned(svc));
            assert.deepStrictEqual(certsOf(data(s, "ca.crt").toString()).map(fpOf), trustedInOrder, `${snap.label}: ${rootSigned(svc)}'s ca.crt`);
            const { chain, signers } = chainOf(`${snap.label}: ${rootSigned(svc)}'s tls.crt`, data(s, "tls.crt").toString());
            assert.strictEqual(chain.length, 1, `${snap.label}: ${rootSigned(svc)}'s tls.crt holds ${chain.length} certificates`);
            assert.deepStrictEqual(signers, [want.signer], `${snap.label}: ${rootSigned(svc)}'s leaf is signed by ${signers.map(shortFp)}, not the root ${shortFp(want.signer)}`);
        }
        // cert-manager's leaves: every Certificate names the signer's Issuer and is issued by it, from that root.
        const inNs = snap.certificates.filter((c) => c.cert.metadata.namespace === ns()).map((c) => c.cert.spec.secretName);
        assert.deepStrictEqual(sorted(inNs), expectedCmSecrets(), `${snap.label}: the Certificates' Secrets in ${ns()}`);
        for (const c of snap.certificates) {
            const why = notIssued(c, issuer, want.signer);
            assert.strictEqual(why, undefined, `${snap.label}: ${why}`);
            const { chain } = chainOf(`${snap.label}: ${c.secret.metadata.name}'s tls.crt`, data(c.secret, "tls.crt").toString());
            assert.ok(!chain[0].ca && chain.length >= 2, `${snap.label}: ${c.secret.metadata.name}'s tls.crt is not a leaf followed by its issuing CA`);
        }
        // The phase's Issuer, in every namespace holding a Certificate: its Secret has its name and holds the
        // signing CA's issuing CA (tls.crt, tls.key) with the root as ca.crt.
        for (const namespace of new Set(snap.certificates.map((c) => c.cert.metadata.namespace!))) {
            const it = snap.issuers.find((i) => i.issuer.metadata.namespace === namespace && i.issuer.metadata.name === issuer);
            assert.ok(it, `${snap.label}: no Issuer ${namespace}/${issuer}`);
            assert.strictEqual(it.issuer.spec.ca?.secretName, issuer, `${snap.label}: ${namespace}/${issuer} reads Secret ${it.issuer.spec.ca?.secretName}`);
            assert.ok(ready(it.issuer), `${snap.label}: Issuer ${namespace}/${issuer} is not Ready: ${JSON.stringify(it.issuer.status?.conditions)}`);
            assert.ok(it.secret, `${snap.label}: no Secret ${namespace}/${issuer}`);
            const { chain, signers } = chainOf(`${snap.label}: ${namespace}/${issuer}'s tls.crt`, data(it.secret, "tls.crt").toString());
            assert.ok(chain[0].ca && !isRootCa(chain[0]), `${snap.label}: ${namespace}/${issuer}'s tls.crt is not an issuing CA`);
            assert.deepStrictEqual(signers, [want.signer], `${snap.label}: ${namespace}/${issuer}'s issuing CA chains to ${signers.map(shortFp)}`);
            assert.deepStrictEqual(certsOf(data(it.secret, "ca.crt").toString()).map(fpOf), [want.signer], `${snap.label}: ${namespace}/${issuer}'s ca.crt`);
        }
        console.log(`      ${snap.label}: ${TRUST_SECRET}, ${JVM_TRUSTSTORE} and ${goServices().map(rootSigned).join(", ")} trust ${trustedInOrder.map(shortFp).join(" + ")}; ${snap.certificates.length} Certificates issued by Issuer ${issuer} and ${goServices().length} root-signed leaf, all from ${shortFp(want.signer)}`);
    }

    /** The one certificate in the trust Secret's ca.crt not seen before (a trust-both's next CA), now known. */
    function newCa(snap: Snapshot): string {
        const fresh = certsOf(data(secretOf(snap, TRUST_SECRET), "ca.crt").toString()).filter((c) => !cas.has(fpOf(c)));
        assert.strictEqual(fresh.length, 1, `${snap.label}: new CAs in ${TRUST_SECRET}'s ca.crt: ${fresh.map((c) => shortFp(fpOf(c)))}`);
        assert.ok(isRootCa(fresh[0]), `${snap.label}: the new certificate in ca.crt is not a self-signed CA`);
        cas.set(fpOf(fresh[0]), fresh[0]);
        return fpOf(fresh[0]);
    }

    /** The three ways the handshakes read one deployment (see the header). */
    async function materialsOf(snap: Snapshot): Promise<Materials> {
        const trust = secretOf(snap, TRUST_SECRET);
        const trustPem = data(trust, "ca.crt").toString();
        const truststore = pemsOf(await p12Certs(trust, "truststore.p12", trust, "truststore-password"));
        const jvmSecret = secretOf(snap, JVM_TRUSTSTORE);
        const jvm = pemsOf(await p12Certs(jvmSecret, "truststore.p12", jvmSecret, "truststore-password"));
        const keystore = async (svc: string) => {
            const s = secretOf(snap, `spin-${svc}-tls`);
            const ks = await readP12(data(s, "keystore.p12"), data(secretOf(snap, keystorePassword(svc)), "password"), work);
            assert.ok(ks.keyPem, `${svc}: keystore.p12 holds no key`);
            const k = crypto.createPrivateKey(ks.keyPem);
            const leaf = ks.certs.find((c) => c.checkPrivateKey(k));
            assert.ok(leaf, `${svc}: no certificate in keystore.p12 matches its key`);
            // The keystore is what a Java service serves: the same leaf as tls.crt.
            assert.strictEqual(fpOf(leaf), fpOf(certsOf(data(s, "tls.crt").toString())[0]), `${snap.label}: ${svc}'s keystore.p12 and tls.crt hold different leaves`);
            return { chainPem: pemsOf([leaf, ...ks.certs.filter((c) => c !== leaf && !isRootCa(c))]), keyPem: ks.keyPem };
        };
        const pemParty = (svc: string): Party => {
            const s = secretOf(snap, `spin-${svc}-tls`);
            return { label: `${svc}@${snap.label}`, chainPem: data(s, "tls.crt").toString(), keyPem: data(s, "tls.key").toString(), trustPem };
        };
        const javaClient: Party = { label: `${CLIENT_SVC}@${snap.label}`, ...(await keystore(CLIENT_SVC)), trustPem: jvm };
        return {
            label: snap.label,
            java: { server: { label: `${SERVER_SVC}@${snap.label}`, ...(await keystore(SERVER_SVC)), trustPem: truststore }, client: javaClient },
            pem: { server: pemParty(SERVER_SVC), client: pemParty(CLIENT_SVC) },
            redis: { server: pemParty("redis"), client: javaClient },
        };
    }

    const hostOf = (flavor: keyof typeof FLAVORS) => (flavor === "redis" ? `spin-redis.${ns()}.svc.cluster.local` : `spin-${SERVER_SVC}.${ns()}.svc`);
    /** Every mix of two deployments' materials, the three ways of reading them. */
    async function matrix(a: Materials, b: Materials): Promise<Handshake[]> {
        const out: Handshake[] = [];
        for (const flavor of Object.keys(FLAVORS) as (keyof typeof FLAVORS)[]) {
            for (const s of [a, b]) {
                for (const c of [a, b]) out.push(await handshake(work, FLAVORS[flavor], s[flavor].server, c[flavor].client, hostOf(flavor)));
            }
        }
        for (const h of out) console.log(`        ${describeHandshake(h)}`);
        return out;
    }

    const annotationsOf = (svc: SpinnakerService, name: string): Record<string, string> => {
        const cfg = svc.spec.spinnakerConfig as { config?: Record<string, unknown> } & Record<string, unknown>;
        const settings = (cfg.config?.["service-settings"] ?? cfg["service-settings"]) as Record<string, { kubernetes?: { podAnnotations?: Record<string, string> } }> | undefined;
        return settings?.[name]?.kubernetes?.podAnnotations ?? {};
    };

    function figure(step: string, f: Omit<Figure, "step">) {
        figures.push({ step, ...f });
        const parts = [
            f.up !== undefined ? `pulumi up ${f.up.toFixed(1)} s` : undefined,
            f.reissue !== undefined ? `then waiting for cert-manager ${f.reissue.toFixed(1)} s` : undefined,
            f.made !== undefined ? `handshakes ${f.made} made, ${f.failed} failed` : undefined,
        ].filter(Boolean);
        console.log(`      figures: ${step}: ${parts.join("; ")}`);
    }

    before(async function () {
        console.log(`      ${standInNotice()}`);
        run = await startStackRun(STACK, USER_NAMESPACES);
        // The gate's switch comes from the test alone, never from the shell.
        delete run.ws.env[FORCE_ENV];
        certManager = await serveCertManager(run.cluster, path.join(run.ws.dir, "cert-manager"));
        await applyConfigOverrides(run.ws, run.project, NO_ACME_OVERRIDES);
        work = fs.mkdtempSync(path.join(run.ws.dir, "handshakes-"));
    });

    after(async function () {
        if (figures.length > 0) {
            const n = (x: number | undefined, d = 1) => (x === undefined ? "" : x.toFixed(d));
            console.log("      figures (bench/README.md): per step, the wall time of its pulumi up (policy pack included but where noted), the wait after it until cert-manager had issued every Certificate from the phase's signer, and the handshakes across the previous and this deployment");
            console.log("      | step | pulumi up (s) | then waiting for cert-manager (s) | handshakes made | failed |");
            console.log("      |---|---|---|---|---|");
            for (const f of figures) console.log(`      | ${f.step} | ${n(f.up)} | ${n(f.reissue)} | ${n(f.made, 0)} | ${n(f.failed, 0)} |`);
        }
        await certManager?.stop(this.currentTest?.state === "failed");
        await run?.stop();
    });

    it("pulumi up with caRotation none: every consumer's trust holds exactly the current CA, and every leaf chains to it", async function () {
        assert.strictEqual(run!.config[key("caRotation")], undefined, "Pulumi.prod.yaml sets caRotation: the drill starts from the default");
        assert.strictEqual(run!.config[key("certificateBackend")], "cert-manager", "Pulumi.prod.yaml's backend is not cert-manager");
        const r = await up();
        assert.strictEqual(r.code, 0, r.text.slice(-3000));
        assert.strictEqual(summaryOf(r.events)!.result, "succeeded");
        const reissue = await awaitIssuedOnFirst();
        const snap = await snapshot("none", 1);
        figure("none (first up)", { up: r.seconds, reissue });
        // The current CA: the one certificate the trust Secret's ca.crt holds, a self-signed CA.
        const ca = certsOf(data(secretOf(snap, TRUST_SECRET), "ca.crt").toString());
        assert.strictEqual(ca.length, 1, `${TRUST_SECRET}'s ca.crt holds ${ca.length} certificates`);
        assert.ok(isRootCa(ca[0]), `${TRUST_SECRET}'s ca.crt is not a self-signed CA certificate`);
        cas.set(fpOf(ca[0]), ca[0]);
        gen.push(fpOf(ca[0]));
        // The JVM truststore holds the CA among its public roots: those are the baseline for every later phase.
        const jvmSecret = secretOf(snap, JVM_TRUSTSTORE);
        const jvm = (await p12Certs(jvmSecret, "truststore.p12", jvmSecret, "truststore-password")).map(fpOf);
        assert.ok(jvm.includes(gen[0]), `${JVM_TRUSTSTORE} does not hold the CA`);
        publicRoots = jvm.filter((f) => f !== gen[0]);
        assert.ok(publicRoots.length > 0, `${JVM_TRUSTSTORE} holds no public roots`);
        for (const c of snap.certificates) console.log(`        ${c.cert.metadata.namespace}/${c.secret.metadata.name}: issuer ${c.cert.spec.issuerRef.name}; tls.crt ${shortFp(fpOf(certsOf(data(c.secret, "tls.crt").toString())[0]))}`);
        await assertPhase(snap, "none");

        materials.set("none", await materialsOf(snap));
        last = snap;
    });

    it("the wiring the handshakes follow: the patch reads trust only from the trust Secret (and terraformer's from its own), Redis mounts ca.crt from it, and Reloader watches spin-<svc>-tls and the keystore password, not the trust Secret", function () {
        const snap = snapshots.find((x) => x.label === "none");
        assert.ok(snap, "the first up failed");
        const refs = secretKeyReferences(snap.svc.spec.spinnakerConfig);
        const cmSecrets = new Set(expectedCmSecrets());
        const readFromCm = [...refs].flatMap(([secret, keys]) => (cmSecrets.has(secret) ? [...keys].filter((k) => k === "ca.crt" || k === "truststore.p12").map((k) => `${secret}/${k}`) : []));
        assert.deepStrictEqual(readFromCm, [], "the SpinnakerService patch reads trust from cert-manager's Secrets");
        assert.ok(refs.get(TRUST_SECRET)?.has("truststore.p12"), `no reference to ${TRUST_SECRET}'s truststore.p12 in the patch`);
        for (const s of javaServices()) assert.ok(refs.get(`spin-${s}-tls`)?.has("keystore.p12"), `${s}: no reference to spin-${s}-tls's keystore.p12`);
        for (const s of goServices()) assert.ok(refs.get(rootSigned(s))?.has("ca.crt"), `${s}: no reference to ${rootSigned(s)}'s ca.crt`);
        const redisTls = snap.statefulSets.get("spin-redis")?.spec.template.spec.volumes?.find((v) => v.name === "tls");
        const sources = (redisTls?.projected?.sources ?? []).map((x) => `${x.secret?.name}: ${(x.secret?.items ?? []).map((i) => `${i.key}→${i.path}`).join(" ")}`);
        assert.deepStrictEqual(sorted(sources), sorted(["spin-redis-tls: tls.crt→tls.crt tls.key→tls.key", `${TRUST_SECRET}: ca.crt→ca.crt`]), "spin-redis's tls volume");
        // Every cert-manager service's pod template carries both checksums, and Reloader restarts it on its
        // Secret and its keystore password. Not on the trust Secret: its checksum on the pod template rolls
        // the pods through pulumi up, and Reloader as well would restart each twice (docs/ca-rotation.md).
        // Every service is judged before the assertion.
        const wrong: string[] = [];
        for (const s of cmServices()) {
            const a = annotationsOf(snap.svc, s);
            if (!a[TLS_CHECKSUM] || !a[CA_TRUST_CHECKSUM]) wrong.push(`${s}: no ${!a[TLS_CHECKSUM] ? TLS_CHECKSUM : CA_TRUST_CHECKSUM}`);
            const listed = sorted((a[RELOADER] ?? "").split(",").filter(Boolean));
            const want = sorted([`spin-${s}-tls`, ...(JAVA_SERVICES.includes(s) ? [keystorePassword(s)] : [])]);
            if (listed.join() !== want.join()) wrong.push(`${s}: ${RELOADER} lists ${listed.join(",")}; want ${want.join(",")}`);
        }
        assert.deepStrictEqual(wrong, [], "the pod annotations of the cert-manager services");
    });

    /** The first up waited on each Certificate (pulumi.com/waitFor); this confirms it, from the generation-1 Issuer. */
    async function awaitIssuedOnFirst(): Promise<number> {
        // Before the CA is known there is no root to chain to: wait on Ready and the Issuer alone.
        const started = Date.now();
        let behind: string[] = [];
        await waitUntil("the first up's Certificates Ready", REISSUE_GUARD_MS, async () => {
            behind = (await get<{ items: Certificate[] }>("/apis/cert-manager.io/v1/certificates")).items.filter((c) => !ready(c) || c.spec.issuerRef.name !== issuerName(1)).map((c) => `${c.metadata.namespace}/${c.metadata.name}`);
            return behind.length === 0 ? true : undefined;
        }, () => behind.join(", "));
        return (Date.now() - started) / 1000;
    }

    it("the handshake runner's controls: an unrelated CA (same subject name), no client certificate and a wrong host name are refused; the unrelated pair itself handshakes", async function () {
        const real = materials.get("none");
        assert.ok(real, "the first up failed");
        const imp = await impostor(work, cas.get(gen[0])!, [hostOf("pem"), `spin-${CLIENT_SVC}.${ns()}.svc`], `spin-${SERVER_SVC}`);
        const cases: [string, Party, Party, string, boolean][] = [
            ["impostor pair", imp.party("impostor server"), imp.party("impostor client"), hostOf("pem"), true],
            ["real pair (PEM)", real.pem.server, real.pem.client, hostOf("pem"), true],
            ["real pair (Java stores)", real.java.server, real.java.client, hostOf("java"), true],
            ["real pair (Redis-style)", real.redis.server, real.redis.client, hostOf("redis"), true],
            ["client certificate from the unrelated CA", real.pem.server, { ...imp.party("impostor client"), trustPem: real.pem.client.trustPem }, hostOf("pem"), false],
            ["server certificate from the unrelated CA", { ...imp.party("impostor server"), trustPem: real.pem.server.trustPem }, real.pem.client, hostOf("pem"), false],
            ["server certificate from the unrelated CA (Java stores)", { ...imp.party("impostor server"), trustPem: real.java.server.trustPem }, real.java.client, hostOf("java"), false],
            ["client certificate from the unrelated CA (Redis-style)", real.redis.server, { ...imp.party("impostor client"), trustPem: real.redis.client.trustPem }, hostOf("redis"), false],
            ["client without a certificate", real.pem.server, { label: "gate without a certificate", trustPem: real.pem.client.trustPem }, hostOf("pem"), false],
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

    it("the gate: trust-next straight from none is refused before anything is registered, naming spinnaker-mtls:caRotation; nothing in the cluster changes", async function () {
        assert.ok(last && last.label === "none", "the first up failed");
        const before = await clusterVersions();
        const stateBefore = await exportedResources(run!);
        await setPhase("trust-next");
        const r = await up();
        assert.notStrictEqual(r.code, 0, "pulumi up from none to trust-next succeeded");
        assert.match(r.text, /spinnaker-mtls:caRotation/, "the refusal does not name spinnaker-mtls:caRotation");
        assert.strictEqual(summaryOf(r.events)!.result, "failed");
        const registered = r.events.map((e) => e.resourcePreEvent?.metadata).filter((m): m is StepMeta => !!m).map((m) => m.type);
        assert.deepStrictEqual([...new Set(registered)].filter((t) => !STACK_TYPES.includes(t)), [], "resources registered before the refusal");
        assert.deepStrictEqual([...changesOf(r.events).keys()], []);
        assert.deepStrictEqual(await clusterVersions(), before, "objects in the cluster changed");
        const stamps = (rs: StateResource[]) => rs.map((x) => `${x.urn} ${STACK_TYPES.includes(x.type) ? "" : x.modified}`);
        assert.deepStrictEqual(stamps(await exportedResources(run!)), stamps(stateBefore), "the state's resources changed");
    });

    /** The Secret URN of `name` in the state. */
    const secretUrn = (state: StateResource[], name: string) => state.find((x) => x.type === SECRET_TYPE && (x.outputs?.metadata as { name?: string } | undefined)?.name === name)?.urn;

    /**
     * One allowed step, judged (see the header): the phase's stores, signers
     * and Issuer; what changed and what did not; and the handshakes across the
     * two deployments. Returns the handshakes.
     */
    async function step(prev: Snapshot, prevPhase: Phase, phase: Phase, label: string, r: Up, stateBefore: StateResource[]): Promise<{ snap: Snapshot; hs: Handshake[]; reissue: number }> {
        const changes = changesOf(r.events);
        console.log(`      ${label}: ${[...changes].map(([u, ops]) => `${ops.join("+")} ${urnName(u)}`).join(", ")}`);
        // cert-manager re-issues asynchronously: wait for every Certificate to hold a leaf from the phase's signer.
        const reissue = await awaitIssued(label, prev.generation, phase);
        const snap = await snapshot(label, prev.generation);
        if (phase === "trust-both") gen[snap.generation] = newCa(snap);
        await assertPhase(snap, phase);

        const trustChanges = sorted(MODEL[phase].trusted).join() !== sorted(MODEL[prevPhase].trusted).join();
        const leavesReissued = MODEL[phase].signer !== MODEL[prevPhase].signer;
        // The trust Secret (and the JVM truststore) are written exactly when the trusted CAs change.
        for (const name of [TRUST_SECRET, JVM_TRUSTSTORE]) {
            const [b, a] = [secretOf(prev, name), secretOf(snap, name)];
            assert.strictEqual(a.metadata.resourceVersion !== b.metadata.resourceVersion, trustChanges, `${label}: ${name} ${trustChanges ? "was not written" : "was written"}`);
            assert.strictEqual(JSON.stringify(a.data) !== JSON.stringify(b.data), trustChanges, `${label}: ${name}'s data ${trustChanges ? "did not change" : "changed"}`);
            const urn = secretUrn(stateBefore, name);
            assert.ok(urn, `${label}: no ${name} in the state`);
            assert.deepStrictEqual(changes.get(urn) ?? [], trustChanges ? ["update"] : [], `${label}: ${name} in the up's events`);
        }
        assert.strictEqual(data(secretOf(snap, TRUST_SECRET), "truststore-password").toString(), data(secretOf(prev, TRUST_SECRET), "truststore-password").toString(), `${label}: ${TRUST_SECRET}'s password changed`);
        // The leaves: cert-manager's re-issued exactly when the signer moves, after the Certificates' update (their issuerRef).
        for (const c of snap.certificates) {
            const before = prev.certificates.find((x) => x.cert.metadata.namespace === c.cert.metadata.namespace && x.cert.metadata.name === c.cert.metadata.name);
            assert.ok(before, `${label}: Certificate ${c.cert.metadata.name} is new`);
            assert.strictEqual(data(c.secret, "tls.crt").toString() !== data(before.secret, "tls.crt").toString(), leavesReissued, `${label}: ${c.secret.metadata.name}'s tls.crt ${leavesReissued ? "was not re-issued" : "changed"}`);
        }
        const certUrns = stateBefore.filter((x) => x.type === CERTIFICATE_TYPE).map((x) => x.urn);
        assert.strictEqual(certUrns.length, snap.certificates.length, `${label}: Certificates in the state`);
        for (const u of certUrns) assert.deepStrictEqual(changes.get(u) ?? [], leavesReissued ? ["update"] : [], `${label}: ${urnName(u)} in the up's events`);
        for (const svc of goServices()) {
            const [b, a] = [secretOf(prev, rootSigned(svc)), secretOf(snap, rootSigned(svc))];
            assert.strictEqual(data(a, "tls.crt").toString() !== data(b, "tls.crt").toString(), leavesReissued, `${label}: ${rootSigned(svc)}'s tls.crt`);
        }
        // Pod templates: the trust checksum moves with the trust, the certificate's never (Reloader restarts on
        // the re-issued Secret); terraformer's Secret is the program's, rewritten every phase: its checksum moves.
        for (const s of cmServices()) {
            const [b, a] = [annotationsOf(prev.svc, s), annotationsOf(snap.svc, s)];
            assert.strictEqual(a[TLS_CHECKSUM], b[TLS_CHECKSUM], `${label}: ${s}'s ${TLS_CHECKSUM} changed`);
            assert.ok(a[CA_TRUST_CHECKSUM] && b[CA_TRUST_CHECKSUM], `${label}: ${s} has no ${CA_TRUST_CHECKSUM}`);
            assert.strictEqual(a[CA_TRUST_CHECKSUM] !== b[CA_TRUST_CHECKSUM], trustChanges, `${label}: ${s}'s ${CA_TRUST_CHECKSUM} ${b[CA_TRUST_CHECKSUM]} → ${a[CA_TRUST_CHECKSUM]}`);
            if (JAVA_SERVICES.includes(s)) assert.strictEqual(a[JVM_CHECKSUM] !== b[JVM_CHECKSUM], trustChanges, `${label}: ${s}'s ${JVM_CHECKSUM} ${b[JVM_CHECKSUM]} → ${a[JVM_CHECKSUM]}`);
        }
        for (const s of goServices()) {
            const [b, a] = [annotationsOf(prev.svc, s), annotationsOf(snap.svc, s)];
            assert.ok(a[TLS_CHECKSUM] && a[TLS_CHECKSUM] !== b[TLS_CHECKSUM], `${label}: ${s}'s ${TLS_CHECKSUM} ${b[TLS_CHECKSUM]} → ${a[TLS_CHECKSUM]}`);
        }
        // Redis reloads in place: its StatefulSets are never written.
        const redisSets = [...snap.statefulSets.keys()].filter((n) => n.startsWith("spin-redis"));
        assert.ok(redisSets.length > 0, `${label}: no Redis StatefulSet`);
        for (const n of redisSets) assert.strictEqual(snap.statefulSets.get(n)!.metadata.resourceVersion, snapshots[0].statefulSets.get(n)?.metadata.resourceVersion, `${label}: StatefulSet ${n} changed`);
        assert.deepStrictEqual([...changes.keys()].filter((u) => urnType(u) === STATEFULSET_TYPE).map(urnName), [], `${label}: StatefulSets in the up's events`);

        // Live traffic: any pod of the previous deployment with any of this one.
        materials.set(label, await materialsOf(snap));
        const hs = await matrix(materials.get(prev.label)!, materials.get(label)!);
        assert.strictEqual(hs.length, 12);
        return { snap, hs, reissue };
    }

    const WALK: { phase: Phase; prev: Phase }[] = [
        { phase: "trust-both", prev: "none" },
        { phase: "issue-next", prev: "trust-both" },
        { phase: "trust-next", prev: "issue-next" },
    ];
    for (const s of WALK) {
        it(`caRotation ${s.prev} → ${s.phase}: the stores, signers and Issuer of the phase (after cert-manager has re-issued), the trust Secret and checksums moved exactly when the trust does, Redis untouched, and zero failed handshakes across the two deployments`, async function () {
            assert.ok(last && last.label === s.prev, `the walk is not at ${s.prev} (an earlier step failed)`);
            const prev = last;
            const stateBefore = await exportedResources(run!);
            await setPhase(s.phase);
            const r = await up();
            assert.strictEqual(r.code, 0, r.text.slice(-3000));
            assert.strictEqual(summaryOf(r.events)!.result, "succeeded");
            assertSummaryMatches(s.phase, r.events);
            const { snap, hs, reissue } = await step(prev, s.prev, s.phase, s.phase, r, stateBefore);
            figure(`${s.prev} → ${s.phase}`, { up: r.seconds, reissue, made: hs.filter((h) => h.ok).length, failed: hs.filter((h) => !h.ok).length });
            assert.deepStrictEqual(hs.filter((h) => !h.ok).map(describeHandshake), [], `${s.prev} → ${s.phase}: failed handshakes`);
            last = snap;
        });
    }

    it("finish: caGeneration 2 with caRotation removed changes no object (preview --expect-no-changes exits 0; the following up changes nothing)", async function () {
        assert.ok(last && last.label === "trust-next", "the walk did not reach trust-next");
        const before = await clusterVersions();
        await run!.ws.ok(["config", "set", key("caGeneration"), "2"], run!.project);
        await run!.ws.ok(["config", "rm", key("caRotation")], run!.project);
        const started = Date.now();
        const p = await run!.ws.run(["preview", "--expect-no-changes", ...run!.policyArgs], run!.project, 1_200_000);
        const previewSeconds = (Date.now() - started) / 1000;
        assert.strictEqual(p.code, 0, `pulumi preview --expect-no-changes exited ${p.code}:\n${`${p.stdout}\n${p.stderr}`.slice(-3000)}`);
        const r = await up();
        assert.strictEqual(r.code, 0, r.text.slice(-3000));
        figure("finish (caGeneration 2)", { up: r.seconds });
        console.log(`      figures: finish: pulumi preview --expect-no-changes ${previewSeconds.toFixed(1)} s`);
        assert.deepStrictEqual([...changesOf(r.events)].map(([u, ops]) => `${ops.join("+")} ${urnName(u)}`), [], "the finishing up changed resources");
        assert.deepStrictEqual(await clusterVersions(), before, "objects in the cluster changed");
        // The finished stack: generation 2 is the current CA, alone, and its Issuer keeps its name.
        const snap = await snapshot("finished", 2);
        await assertPhase(snap, "none");
        materials.set("finished", await materialsOf(snap));
        last = snap;
    });

    it("negative control: a second rotation forced from trust-both straight to trust-next (after the gate and, in preview, the pack refuse it) fails handshakes across the two deployments", async function () {
        assert.ok(last && last.label === "finished", "the first rotation did not finish");
        const finished = last;
        // Generation 2 → 3, trust-both: an allowed step, judged as the walk's.
        await setPhase("trust-both");
        let stateBefore = await exportedResources(run!);
        let r = await up();
        assert.strictEqual(r.code, 0, r.text.slice(-3000));
        const tb = await step(finished, "none", "trust-both", "trust-both(2)", r, stateBefore);
        figure("finished → trust-both (generation 2 → 3)", { up: r.seconds, reissue: tb.reissue, made: tb.hs.filter((h) => h.ok).length, failed: tb.hs.filter((h) => !h.ok).length });
        assert.deepStrictEqual(tb.hs.filter((h) => !h.ok).map(describeHandshake), [], "finished → trust-both(2): failed handshakes");

        // The gate refuses the skip.
        const before = await clusterVersions();
        await setPhase("trust-next");
        r = await up();
        assert.notStrictEqual(r.code, 0, "trust-both → trust-next went through");
        assert.match(r.text, /spinnaker-mtls:caRotation/);
        // Forced past the program's gate, the policy pack still refuses it in the preview (ca-rotation-step, mandatory in prod).
        const previewed = await withForce("trust-next", () => run!.ws.run(["preview", ...run!.policyArgs], run!.project, 1_200_000));
        assert.notStrictEqual(previewed.code, 0, "the pack let a forced skip through its preview");
        assert.match(`${previewed.stdout}\n${previewed.stderr}`, /ca-rotation-step/);
        assert.deepStrictEqual(await clusterVersions(), before, "objects in the cluster changed on a refused step");

        // Forced, knowingly, and without the pack: it goes through, says so, and deploys trust-next.
        stateBefore = await exportedResources(run!);
        r = await withForce("trust-next", () => up([], false));
        assert.strictEqual(r.code, 0, r.text.slice(-3000));
        const warnings = r.events.map((e) => e.diagnosticEvent).filter((d) => d?.severity === "warning").map((d) => d!.message);
        assert.ok(warnings.some((w) => w.includes(`${FORCE_ENV}=trust-next`)), `no warning naming ${FORCE_ENV}=trust-next`);
        const tn = await step(tb.snap, "trust-both", "trust-next", "forced trust-next(2)", r, stateBefore);
        const hs = tn.hs;

        // Within one deployment they handshake; across the two every mix fails, each way of reading.
        figure("trust-both → trust-next, forced (no pack)", { up: r.seconds, reissue: tn.reissue, made: hs.filter((h) => h.ok).length, failed: hs.filter((h) => !h.ok).length });
        const across = (h: Handshake) => h.server.split("@")[1] !== h.client.split("@")[1];
        assert.ok(hs.some((h) => !h.ok), "no handshake failed across a forced skip");
        for (const flavor of Object.values(FLAVORS)) {
            for (const dir of [(h: Handshake) => h.server.endsWith("@trust-both(2)"), (h: Handshake) => h.server.endsWith(`@${tn.snap.label}`)]) {
                assert.ok(hs.some((h) => h.flavor === flavor && across(h) && dir(h) && !h.ok), `${flavor}: no failed handshake in a mix across the forced skip`);
            }
        }
        assert.deepStrictEqual(hs.filter((h) => h.ok === across(h)).map(describeHandshake), [], "handshakes within one deployment failed, or mixes across the two were made");
        last = tn.snap;
    });

    it("the CA Issuers through the walk: only the signing CA's Issuer and Secret exist, so issue-next replaces generation 1's with generation 2's; after the finish the names stay", function () {
        const names = (snap: Snapshot, namespace: string) => sorted(snap.issuers.filter((i) => i.issuer.metadata.namespace === namespace && i.issuer.spec.ca).map((i) => i.issuer.metadata.name));
        const secrets = (snap: Snapshot) => sorted([...snap.secrets.keys()].filter((n) => /^spinnaker-mtls-ca(-g\d+)?$/.test(n)));
        const by = new Map(snapshots.map((s) => [s.label, s] as const));
        // The CA key goes only where something is issued from it: the next CA's key reaches the cluster at
        // issue-next, when it starts to sign, and the current one's leaves it then.
        const want: [string, string[]][] = [
            ["none", [issuerName(1)]],
            ["trust-both", [issuerName(1)]],
            ["issue-next", [issuerName(2)]],
            ["trust-next", [issuerName(2)]],
            ["finished", [issuerName(2)]],
        ];
        const wrong: string[] = [];
        for (const [label, issuers] of want) {
            const snap = by.get(label);
            if (!snap) {
                wrong.push(`${label}: not reached`);
                continue;
            }
            for (const namespace of new Set(snap.certificates.map((c) => c.cert.metadata.namespace!))) {
                if (names(snap, namespace).join() !== issuers.join()) wrong.push(`${label}: CA Issuers in ${namespace}: ${names(snap, namespace).join(", ")}; want ${issuers.join(", ")}`);
            }
            if (secrets(snap).join() !== issuers.join()) wrong.push(`${label}: CA Secrets in ${ns()}: ${secrets(snap).join(", ")}; want ${issuers.join(", ")}`);
        }
        for (const s of snapshots) console.log(`        ${s.label}: CA Issuers ${[...new Set(s.issuers.map((i) => `${i.issuer.metadata.namespace}/${i.issuer.metadata.name}`))].join(", ")}; CA Secrets in ${ns()} ${secrets(s).join(", ")}`);
        assert.deepStrictEqual(wrong, [], "the CA Issuers' lifecycle differs from issue 21's cert-manager design");
    });
});

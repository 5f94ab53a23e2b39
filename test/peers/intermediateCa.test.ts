// An imported intermediate CA with its chain (issue 20, item 3), judged by the
// consumers themselves: OpenSSL (through Node's TLS and the openssl command),
// JSSE with the PKCS#12 stores, armory/go-yaml-tools with the Go services'
// PEM files, and redis-server. The chain is made by OpenSSL: an organisation's
// root (pathlen 1) and a Spinnaker issuing CA under it (pathlen 0), whose key
// is the only one the stack gets. Every leaf must then carry the intermediate
// (tls.crt, the keystore's chain), and every store holds the root and the
// intermediate: go-yaml-tools presents only the first certificate of its
// certFile, which this suite found (components/pki/caChain.ts).
import * as assert from "assert";
import * as childProcess from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import * as tls from "tls";
import { pemBlocks } from "../../components/pki/caChain";
import { JVM_TRUSTSTORE_SECRET } from "../../components/pki/jvmTrustStore";
import { SECRET_KEY } from "../../components/pki/secretLayout";
import { unwrap } from "../../engine/monitor";
import { RunResult } from "../../engine/run";
import { GoServer, SpinnakerConfig, describeOutcome, eventOf, goCall, goPeerBin, layOutContainer, spinnakerConfigOf } from "../support/goPeer";
import { OpensslChain, opensslChain } from "../support/pki";
import { RedisServer } from "../support/redisServer";
import { session } from "../support/resp";
import { ServiceFiles, objectNamed, run, secretsByName, stackServices, tempDir, text } from "../support/stacks";

const CHECK = path.join(__dirname, "MtlsCheck.java");
const key = (k: string) => `spinnaker-mtls:${k}`;
const NS = "spinnaker-dev";

/**
 * A TLS handshake in Node (OpenSSL) between two services' PEM files, each side
 * verifying the other against `ca` alone: with the root only, the handshake
 * passes only if each side sends its intermediate.
 */
function nodeMutualTls(server: ServiceFiles, client: ServiceFiles, servername: string, ca: string): Promise<{ clientSeen?: string; serverSeen?: string; error?: string }> {
    return new Promise((resolve) => {
        const pem = (f: ServiceFiles) => ({ cert: f.files[SECRET_KEY.certificate], key: f.files[SECRET_KEY.privateKey], ca });
        let serverSeen: string | undefined;
        const srv = tls.createServer({ ...pem(server), requestCert: true, rejectUnauthorized: true }, (socket) => {
            serverSeen = String(socket.getPeerCertificate().subject?.CN);
            socket.end("ok");
        });
        srv.listen(0, "127.0.0.1", () => {
            const port = (srv.address() as { port: number }).port;
            const c = tls.connect({ host: "127.0.0.1", port, servername, ...pem(client) }, () => {
                const clientSeen = String(c.getPeerCertificate().subject?.CN);
                c.on("data", () => undefined);
                c.on("end", () => srv.close(() => resolve({ clientSeen, serverSeen })));
            });
            c.on("error", (e) => srv.close(() => resolve({ error: e.message })));
        });
    });
}

describe("an imported intermediate CA with its chain, judged by OpenSSL, JSSE, go-yaml-tools and redis-server", function () {
    this.timeout(20 * 60_000);
    const t = tempDir("intermediate-ca");
    let chain: OpensslChain;
    let result: RunResult;
    let secrets: Map<string, ServiceFiles>;
    let spinnaker: SpinnakerConfig;
    const root = () => chain.cas[0].certPem;
    const intermediate = () => chain.cas[1].certPem;
    const file = (name: string, data: string | Buffer) => {
        const p = path.join(t.dir, name);
        fs.writeFileSync(p, data);
        return p;
    };

    before(async () => {
        chain = opensslChain({ commonName: "Example Org Root", pathLen: 1 }, { commonName: "Spinnaker Issuing CA", pathLen: 0 });
        // terraformer is the Go service here: dinghy is refused at clientAuth need (it presents no client certificate).
        const services = [...new Set([...stackServices("dev"), "terraformer"])].sort();
        result = await run({
            stack: "dev",
            config: {
                [key("services")]: JSON.stringify(services),
                [key("goServicesRedis")]: "tls-only",
                [key("spinnakerFlavor")]: "armory",
                [key("clientAuth")]: "need",
                [key("caCertPem")]: chain.bundlePem,
                [key("caKeyPem")]: chain.signerKeyPem,
            },
            secretConfigKeys: [key("caKeyPem")],
        });
        secrets = secretsByName(result);
        spinnaker = spinnakerConfigOf(result);
    });
    after(() => t.remove());

    it("caCertificatePem and every ca.crt are the root then the intermediate; every tls.crt the leaf then the intermediate", () => {
        assert.strictEqual(unwrap(result.stackOutputs.caCertificatePem), root() + intermediate());
        const tlsSecrets = [...secrets.values()].filter((f) => f.files[SECRET_KEY.certificate] && f.files[SECRET_KEY.caCertificate]);
        assert.ok(tlsSecrets.length >= 10, `${tlsSecrets.length} TLS Secrets`);
        for (const f of tlsSecrets) {
            const blocks = pemBlocks(text(f, SECRET_KEY.certificate));
            assert.strictEqual(blocks.length, 2, `${f.service}: tls.crt holds the leaf and the intermediate`);
            assert.strictEqual(blocks[1], intermediate(), f.service);
            assert.strictEqual(text(f, SECRET_KEY.caCertificate), root() + intermediate(), `${f.service}: ca.crt is the bundle`);
        }
    });

    it("openssl verify takes every leaf against the root with the intermediate from its own tls.crt, and refuses it without", () => {
        const rootFile = file("root.pem", root());
        for (const f of [...secrets.values()].filter((x) => x.files[SECRET_KEY.certificate] && x.files[SECRET_KEY.caCertificate])) {
            const [leaf, ...rest] = pemBlocks(text(f, SECRET_KEY.certificate));
            const leafFile = file(`${f.service}-leaf.pem`, leaf);
            const ok = childProcess.spawnSync("openssl", ["verify", "-CAfile", rootFile, "-untrusted", file(`${f.service}-chain.pem`, rest.join("")), "-purpose", "sslclient", leafFile], { encoding: "utf8" });
            assert.strictEqual(ok.status, 0, `${f.service}: ${ok.stdout}${ok.stderr}`);
            // Positive control: the same leaf with no intermediate does not reach the root.
            const bare = childProcess.spawnSync("openssl", ["verify", "-CAfile", rootFile, leafFile], { encoding: "utf8" });
            assert.notStrictEqual(bare.status, 0, `${f.service}: verified without its intermediate`);
            assert.match(bare.stdout + bare.stderr, /unable to get local issuer certificate/);
        }
    });

    it("each Java keystore's chain is leaf, intermediate, root; each truststore and the JVM-wide store hold the root and the intermediate", () => {
        const fingerprint = (pem: string) => new crypto.X509Certificate(pem).fingerprint256;
        for (const service of ["gate", "orca"]) {
            const f = secrets.get(`spin-${service}-tls`)!;
            const ks = childProcess.spawnSync("keytool", ["-list", "-v", "-storetype", "PKCS12", "-keystore", file(`${service}.p12`, f.files[SECRET_KEY.keystore]), "-storepass", text(f, SECRET_KEY.keystorePassword)], { encoding: "utf8" });
            assert.strictEqual(ks.status, 0, ks.stderr);
            assert.match(ks.stdout, /Certificate chain length: 3/);
            const ts = childProcess.spawnSync("keytool", ["-list", "-storetype", "PKCS12", "-keystore", file(`${service}-ts.p12`, f.files[SECRET_KEY.truststore]), "-storepass", text(f, SECRET_KEY.truststorePassword)], { encoding: "utf8" });
            assert.strictEqual(ts.status, 0, ts.stderr);
            assert.match(ts.stdout, /Your keystore contains 2 entries/);
            assert.ok(ts.stdout.includes(fingerprint(root())) && ts.stdout.includes(fingerprint(intermediate())), `${service}'s truststore holds the root and the intermediate`);
        }
        const jvm = secrets.get(JVM_TRUSTSTORE_SECRET)!;
        const list = childProcess.spawnSync("keytool", ["-list", "-storetype", "PKCS12", "-keystore", file("jvm.p12", jvm.files[SECRET_KEY.truststore]), "-storepass", text(jvm, SECRET_KEY.truststorePassword)], { encoding: "utf8" });
        assert.strictEqual(list.status, 0, list.stderr);
        assert.ok(list.stdout.includes(fingerprint(root())), "the JVM-wide store holds the root");
        assert.ok(list.stdout.includes(fingerprint(intermediate())), "and the intermediate");
    });

    it("OpenSSL (Node's TLS): orca and gate complete mutual TLS from their tls.crt, each verifying the other against the root alone", async () => {
        const r = await nodeMutualTls(secrets.get("spin-gate-tls")!, secrets.get("spin-orca-tls")!, `spin-gate.${NS}.svc.cluster.local`, root());
        assert.deepStrictEqual(r, { clientSeen: "spin-gate", serverSeen: "spin-orca" });
    });

    it("JSSE: a client holding orca's stores completes mTLS with a server holding gate's", () => {
        const f = (s: string) => secrets.get(`spin-${s}-tls`)!;
        const stores = (s: string) => [file(`${s}-k.p12`, f(s).files[SECRET_KEY.keystore]), text(f(s), SECRET_KEY.keystorePassword), file(`${s}-t.p12`, f(s).files[SECRET_KEY.truststore]), text(f(s), SECRET_KEY.truststorePassword)];
        const r = childProcess.spawnSync("java", [CHECK, ...stores("gate"), ...stores("orca"), `spin-gate.${NS}.svc.cluster.local`], { encoding: "utf8", timeout: 120_000 });
        assert.strictEqual(r.status, 0, r.stdout + r.stderr);
        assert.match(r.stdout, /^OK CN=spin-orca,O=/);
    });

    it("go-yaml-tools: terraformer's http.* client calls terraformer's server.ssl over mutual TLS through the intermediate, verified as spin-terraformer", async () => {
        const bin = goPeerBin();
        const dir = layOutContainer(path.join(t.dir, "terraformer"), "terraformer", spinnaker.profiles.terraformer, secrets);
        const server = await GoServer.start(bin, dir, "terraformer");
        try {
            const o = await goCall(bin, dir, "terraformer", `${spinnaker["service-settings"].terraformer.baseUrl!}/health`, server.port);
            assert.strictEqual(o.code, 0, describeOutcome(o));
            assert.deepStrictEqual(JSON.parse(eventOf(o, "response")!.body as string), { peer: "spin-terraformer" });
            // Why the stores hold the intermediate: go-yaml-tools serves its leaf alone, so a peer holding
            // only the root cannot verify it, and one holding the stack's bundle (ca.crt) can.
            const gate = secrets.get("spin-gate-tls")!;
            const handshake = (ca: string) =>
                new Promise<string>((resolve) => {
                    const c = tls.connect({ host: "127.0.0.1", port: server.port, servername: `spin-terraformer.${NS}`, ca, cert: gate.files[SECRET_KEY.certificate], key: gate.files[SECRET_KEY.privateKey] }, () => {
                        resolve(`ok ${String(c.getPeerX509Certificate()?.subject)}`);
                        c.destroy();
                    });
                    c.on("error", (e) => resolve(e.message));
                });
            // OpenSSL's X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE: the leaf came alone, and its issuer is in no store.
            assert.match(await handshake(root()), /unable to verify the first certificate/);
            assert.match(await handshake(text(gate, SECRET_KEY.caCertificate)), /^ok /);
        } finally {
            await server.stop();
        }
    });

    it("redis-server serves with its chain: a client holding gate's certificate gets PONG, verifying Redis against the root", async () => {
        const conf = objectNamed<{ data: Record<string, string> }>(result, "kubernetes:core/v1:ConfigMap", "spin-redis-config").data["redis.conf"];
        const files = secrets.get("spin-redis-tls")!.files;
        const server = await RedisServer.start(path.join(t.dir, "redis"), { conf, tls: { "tls.crt": files[SECRET_KEY.certificate], "tls.key": files[SECRET_KEY.privateKey], "ca.crt": files[SECRET_KEY.caCertificate] } });
        try {
            const gate = secrets.get("spin-gate-tls")!;
            const s = await session({ port: server.port, tls: { ca: gate.files[SECRET_KEY.caCertificate], cert: gate.files[SECRET_KEY.certificate], key: gate.files[SECRET_KEY.privateKey], servername: `spin-redis.${NS}.svc.cluster.local` } }, [["PING"]]);
            assert.strictEqual(s.error, undefined);
            assert.deepStrictEqual(s.replies, ["PONG"]);
        } finally {
            await server.stop();
        }
    });
});

// Java 17 as a peer: keytool lists what the program writes as a Spinnaker
// operator would see it, and JSSE completes mTLS with the keystores and
// truststores of two different services.
import * as assert from "assert";
import * as childProcess from "child_process";
import * as fs from "fs";
import * as path from "path";
import { SECRET_KEY, TRUSTSTORE_ALIAS } from "../../components/pki/secretLayout";
import { SERVICE_CATALOG, ServiceName } from "../../lib/catalog/serviceCatalog";
import { RunResult } from "../../engine/run";
import { ServiceFiles, peerRun, run, serviceSecrets, tempDir, text } from "../support/stacks";

const CHECK = path.join(__dirname, "MtlsCheck.java");

function keytool(args: string[]): childProcess.SpawnSyncReturns<string> {
    return childProcess.spawnSync("keytool", args, { encoding: "utf8" });
}

interface Stores {
    readonly keystore: string;
    readonly keystorePassword: string;
    readonly truststore: string;
    readonly truststorePassword: string;
}

function writeStores(dir: string, f: ServiceFiles): Stores {
    const keystore = path.join(dir, `${f.service}.p12`);
    const truststore = path.join(dir, `${f.service}-truststore.p12`);
    fs.writeFileSync(keystore, f.files[SECRET_KEY.keystore]);
    fs.writeFileSync(truststore, f.files[SECRET_KEY.truststore]);
    return { keystore, truststore, keystorePassword: text(f, SECRET_KEY.keystorePassword), truststorePassword: text(f, SECRET_KEY.truststorePassword) };
}

function jsse(server: Stores, client: Partial<Stores> & Pick<Stores, "truststore" | "truststorePassword">, hostname: string) {
    const r = childProcess.spawnSync(
        "java",
        [CHECK, server.keystore, server.keystorePassword, server.truststore, server.truststorePassword, client.keystore ?? "-", client.keystorePassword ?? "-", client.truststore, client.truststorePassword, hostname],
        { encoding: "utf8", timeout: 60_000 },
    );
    return { status: r.status, out: `${r.stdout}${r.stderr}`.trim() };
}

const cases: { title: string; result: () => Promise<RunResult>; server: ServiceName; client: ServiceName; namespace: string }[] = [
    { title: "dev (ECDSA P-256)", result: () => peerRun("dev"), server: "gate", client: "orca", namespace: "spinnaker-dev" },
    { title: "prod (ECDSA P-384)", result: () => peerRun("prod"), server: "clouddriver", client: "front50", namespace: "spinnaker" },
    {
        title: "RSA 2048",
        result: () => run({ stack: "dev", config: { "spinnaker-mtls:keyAlgorithm": "RSA", "spinnaker-mtls:rsaBits": "2048", "spinnaker-mtls:services": '["echo","fiat"]' } }),
        server: "echo",
        client: "fiat",
        namespace: "spinnaker-dev",
    },
];

for (const c of cases) {
    describe(`Java 17 reads the ${c.title} keystores`, () => {
        const t = tempDir("java");
        after(() => t.remove());
        let secrets: Map<string, ServiceFiles>;
        before(async () => {
            secrets = serviceSecrets(await c.result());
        });

        it("keytool lists each Java keystore as one PrivateKeyEntry with its chain (through the issuing CA), and each truststore as the root's one trustedCertEntry", () => {
            const java = [...secrets.values()].filter((f) => SERVICE_CATALOG[f.service as ServiceName].runtime === "java");
            assert.ok(java.length > 0);
            for (const f of java) {
                const s = writeStores(t.dir, f);
                const ks = keytool(["-list", "-v", "-storetype", "PKCS12", "-keystore", s.keystore, "-storepass", s.keystorePassword]);
                assert.strictEqual(ks.status, 0, ks.stdout + ks.stderr);
                assert.match(ks.stdout, /Your keystore contains 1 entry/);
                // The leaf, the generated CA's issuing CA, and the root (as for an imported intermediate: docs/configuration.md).
                assert.match(ks.stdout, new RegExp(`Alias name: ${f.service}\\nCreation date: .*\\nEntry type: PrivateKeyEntry\\nCertificate chain length: 3\\n`));
                assert.match(ks.stdout, /Owner: CN=Spinnaker mTLS issuing CA, O=/);
                assert.match(ks.stdout, new RegExp(`Owner: CN=spin-${f.service}, O=`));
                const ts = keytool(["-list", "-storetype", "PKCS12", "-keystore", s.truststore, "-storepass", s.truststorePassword]);
                assert.strictEqual(ts.status, 0, ts.stdout + ts.stderr);
                assert.match(ts.stdout, /Your keystore contains 1 entry/);
                assert.match(ts.stdout, new RegExp(`^${TRUSTSTORE_ALIAS}, .*, trustedCertEntry,`, "m"));
            }
        });

        it(`a JSSE client holding ${c.client}'s stores completes mTLS with a JSSE server holding ${c.server}'s`, () => {
            const server = writeStores(t.dir, secrets.get(c.server)!);
            const client = writeStores(t.dir, secrets.get(c.client)!);
            const r = jsse(server, client, `spin-${c.server}.${c.namespace}.svc.cluster.local`);
            assert.strictEqual(r.status, 0, r.out);
            assert.match(r.out, new RegExp(`^OK CN=spin-${c.client},O=`));
        });

        it("the JSSE server refuses a client with no keystore", () => {
            const server = writeStores(t.dir, secrets.get(c.server)!);
            const client = writeStores(t.dir, secrets.get(c.client)!);
            const r = jsse(server, { truststore: client.truststore, truststorePassword: client.truststorePassword }, `spin-${c.server}`);
            assert.strictEqual(r.status, 3, r.out);
            assert.match(r.out, /^REFUSED .*(Empty client certificate chain|bad_certificate|certificate_required)/);
        });
    });
}

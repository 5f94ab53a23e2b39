// OpenSSL 3, as a peer: it verifies every service certificate against the CA
// for both TLS purposes, and reads every PKCS#12 without the legacy provider.
import * as assert from "assert";
import * as childProcess from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { SECRET_KEY } from "../../components/pki/secretLayout";
import { SERVICE_CATALOG, ServiceName, inClusterDnsNames } from "../../lib/catalog/serviceCatalog";
import { loadProject, loadStackConfig } from "../../engine/project";
import { PROJECT_ROOT } from "../../engine/run";
import { parseStackConfig } from "../../components/config";
import { peerRun, serviceSecrets, tempDir, text } from "../support/stacks";

function openssl(args: string[]): childProcess.SpawnSyncReturns<string> {
    return childProcess.spawnSync("openssl", args, { encoding: "utf8" });
}

for (const stack of ["dev", "prod"]) {
    describe(`OpenSSL accepts what the ${stack} stack issues`, function () {
        const t = tempDir(`openssl-${stack}`);
        after(() => t.remove());
        const config = parseStackConfig(loadStackConfig(loadProject(PROJECT_ROOT), stack).values);
        // Behind the ingress Deck serves plain HTTP to its sidecar and calls nothing: it has no certificate (issue 23).
        const edge = config.istio.enabled && config.istio.ingress !== undefined;
        const certified = config.services.filter((s) => !(edge && s === "deck"));
        /**
         * The names a service is called by: its Service's DNS forms; without the ingress, Gate's
         * client-certificate Service (spin-gate-api) and the host of the browser URL that reaches the
         * service itself (gateUrl, deckUrl); and the stack's extraSans.
         */
        const calledBy = (service: ServiceName): string[] => {
            const browserUrl = edge ? undefined : service === "gate" ? config.spinnaker.gateUrl : service === "deck" ? config.spinnaker.deckUrl : undefined;
            return [
                ...inClusterDnsNames(service, config.namespace),
                ...(service === "gate" && !edge ? ["spin-gate-api", `spin-gate-api.${config.namespace}`, `spin-gate-api.${config.namespace}.svc`, `spin-gate-api.${config.namespace}.svc.cluster.local`] : []),
                ...(browserUrl ? [new URL(browserUrl).hostname] : []),
                ...(config.extraSans[service] ?? []),
            ].sort();
        };

        it("OpenSSL 3 is the peer", () => {
            assert.match(openssl(["version"]).stdout, /^OpenSSL 3\./);
        });

        it("every enabled service has a Secret", async () => {
            const secrets = serviceSecrets(await peerRun(stack));
            assert.deepStrictEqual([...secrets.keys()].sort(), [...certified].sort());
        });

        for (const service of certified) {
            it(`${service}: chains to the CA for server and client use, with the expected SANs and both EKUs`, async () => {
                const files = serviceSecrets(await peerRun(stack)).get(service)!;
                const ca = path.join(t.dir, `${service}-ca.crt`);
                const crt = path.join(t.dir, `${service}.crt`);
                fs.writeFileSync(ca, files.files[SECRET_KEY.caCertificate]);
                fs.writeFileSync(crt, files.files[SECRET_KEY.certificate]);
                for (const purpose of ["sslserver", "sslclient"]) {
                    // tls.crt is the leaf and the issuing CA it carries, as a TLS peer receives them: the rest of the file is untrusted.
                    const r = openssl(["verify", "-purpose", purpose, "-x509_strict", "-CAfile", ca, "-untrusted", crt, crt]);
                    assert.strictEqual(r.status, 0, `${purpose}: ${r.stdout}${r.stderr}`);
                    assert.match(r.stdout, /: OK/);
                }
                const x = new crypto.X509Certificate(files.files[SECRET_KEY.certificate]);
                assert.deepStrictEqual(x.subjectAltName?.split(", ").sort(), calledBy(service as ServiceName).map((d) => `DNS:${d}`).sort());
                const ext = openssl(["x509", "-in", crt, "-noout", "-ext", "extendedKeyUsage,keyUsage,basicConstraints"]).stdout;
                assert.match(ext, /TLS Web Server Authentication, TLS Web Client Authentication/);
                assert.match(ext, /CA:FALSE/);
                assert.strictEqual(x.checkPrivateKey(crypto.createPrivateKey(files.files[SECRET_KEY.privateKey])), true);
            });

            if (SERVICE_CATALOG[service].runtime === "java") {
                it(`${service}: OpenSSL reads the keystore and truststore without -legacy`, async () => {
                    const files = serviceSecrets(await peerRun(stack)).get(service)!;
                    const ks = path.join(t.dir, `${service}-keystore.p12`);
                    const ts = path.join(t.dir, `${service}-truststore.p12`);
                    fs.writeFileSync(ks, files.files[SECRET_KEY.keystore]);
                    fs.writeFileSync(ts, files.files[SECRET_KEY.truststore]);
                    const k = openssl(["pkcs12", "-in", ks, "-passin", `pass:${text(files, SECRET_KEY.keystorePassword)}`, "-nodes", "-info"]);
                    assert.strictEqual(k.status, 0, k.stderr);
                    assert.match(k.stderr, /MAC: sha256/);
                    assert.match(k.stderr, /Shrouded Keybag: PBES2, PBKDF2, AES-256-CBC/);
                    assert.strictEqual((k.stdout.match(/BEGIN CERTIFICATE/g) ?? []).length, 3, "leaf, issuing CA and root");
                    assert.match(k.stdout, /BEGIN PRIVATE KEY/);
                    const tr = openssl(["pkcs12", "-in", ts, "-passin", `pass:${text(files, SECRET_KEY.truststorePassword)}`, "-nokeys", "-info"]);
                    assert.strictEqual(tr.status, 0, tr.stderr);
                    assert.match(tr.stdout, /2\.16\.840\.1\.113894\.746875\.1\.1/, "Java's trusted-key-usage attribute");
                    const wrong = openssl(["pkcs12", "-in", ks, "-passin", "pass:wrong-password", "-nodes"]);
                    assert.notStrictEqual(wrong.status, 0, "a wrong password is refused");
                });
            }
        }
    });
}

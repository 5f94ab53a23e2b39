// Armory's Go services as the judge: the dinghy and terraformer profiles the
// program renders, loaded by armory/go-yaml-tools at the version dinghy pins
// (test/peers/go: its spring loader, server.Server and client.Config, no
// reimplementation). dinghy's server.ssl must serve mutual TLS, terraformer's
// http.* must call it, the rendered clientAuth must decide whether a client
// without a certificate gets in, and both must talk to a Java service's
// material. go-yaml-tools 0.0.2 has no `k8s` secret engine, so the
// profile's `encryptedFile:k8s!…` references are resolved here to mounted
// files, as the Operator does (components/spinnaker/mounts.ts) before dinghy
// reads its profile. Slow (it builds the Go peer once, then reuses it): run
// with `npm run test:peers`.
import * as assert from "assert";
import * as childProcess from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as https from "https";
import * as net from "net";
import * as path from "path";
import * as tls from "tls";
import { SECRET_KEY } from "../../components/pki/secretLayout";
import { loadProject, loadStackConfig } from "../../engine/project";
import { PROJECT_ROOT, RunResult } from "../../engine/run";
import { Issued, issue, newCa } from "../support/pki";
import { ServiceFiles, peerRun, run, secretsByName, serviceSecrets, tempDir, text } from "../support/stacks";
import { GoServer, SpinnakerConfig, Tree, describeOutcome, eventOf, goCall, layOutContainer, spinnakerConfigOf } from "../support/goPeer";

const BUILD = path.join(__dirname, "go", "build.sh");
const GO_SERVICES = ["dinghy", "terraformer"] as const;
type GoService = (typeof GO_SERVICES)[number];
const CONFIG_KEY = (key: string) => `spinnaker-mtls:${key}`;


interface HttpsOutcome {
    readonly ok: boolean;
    readonly status?: number;
    readonly body?: string;
    readonly error?: string;
}

/** A Node HTTPS GET to 127.0.0.1:port; Node checks the certificate against `servername`, the URL's host, as the Go client does. */
function nodeGet(url: string, port: number, tlsOptions: https.RequestOptions): Promise<HttpsOutcome> {
    const u = new URL(url);
    return new Promise((resolve) => {
        const req = https.request(
            { ...tlsOptions, host: "127.0.0.1", port, servername: u.hostname, path: "/", method: "GET", rejectUnauthorized: true, minVersion: "TLSv1.2", timeout: 10_000, agent: false },
            (res) => {
                let body = "";
                res.on("data", (d) => (body += d));
                res.on("end", () => resolve({ ok: true, status: res.statusCode, body }));
            },
        );
        req.on("timeout", () => req.destroy(new Error("timed out")));
        req.on("error", (e) => resolve({ ok: false, error: e.message }));
        req.end();
    });
}

/**
 * A Java service's identity served by Node: its PKCS#12 keystore and password
 * as the service reads them, trusting its CA, verifying clients as its
 * rendered `server.ssl.client-auth` says. Answers with the client's CN.
 */
async function javaMaterialServer(files: ServiceFiles, clientAuth: string): Promise<{ port: number; close: () => Promise<void> }> {
    const srv = https.createServer(
        {
            pfx: files.files[SECRET_KEY.keystore],
            passphrase: text(files, SECRET_KEY.keystorePassword),
            ca: text(files, SECRET_KEY.caCertificate),
            requestCert: clientAuth === "need" || clientAuth === "want",
            rejectUnauthorized: clientAuth === "need",
            minVersion: "TLSv1.2",
        },
        (req, res) => {
            const socket = req.socket as tls.TLSSocket;
            const peer = socket.authorized ? socket.getPeerCertificate().subject?.CN : "";
            res.setHeader("Content-Type", "application/json");
            res.end(JSON.stringify({ peer }));
        },
    );
    await new Promise<void>((resolve) => srv.listen(0, "127.0.0.1", resolve));
    return { port: (srv.address() as net.AddressInfo).port, close: () => new Promise<void>((resolve) => srv.close(() => resolve())) };
}

const devServices = JSON.parse(loadStackConfig(loadProject(PROJECT_ROOT), "dev").values[CONFIG_KEY("services")]) as string[];
/** Armory's Go services added to dev, with RSA keys everywhere: the case go-yaml-tools has always accepted. */
const DEV_WITH_GO_SERVICES: Record<string, string> = {
    [CONFIG_KEY("services")]: JSON.stringify([...new Set([...devServices, ...GO_SERVICES])].sort()),
    [CONFIG_KEY("goServicesRedis")]: "tls-only",
    [CONFIG_KEY("spinnakerFlavor")]: "armory",
    [CONFIG_KEY("keyAlgorithm")]: "RSA",
    [CONFIG_KEY("rsaBits")]: "2048",
};

const cases: { title: string; stack: string; overrides: Record<string, string>; services: readonly GoService[]; result: () => Promise<RunResult> }[] = [
    // prod issues ECDSA P-384; peerRun switches it to the program's own PKI so
    // the same keys exist here. The Go services must still get RSA (defect 1).
    // prod runs terraformer only: dinghy is refused at clientAuth need.
    { title: "prod (ECDSA P-384 stack, terraformer)", stack: "prod", overrides: {}, services: ["terraformer"], result: () => peerRun("prod") },
    { title: "dev with dinghy and terraformer (RSA 2048 stack)", stack: "dev", overrides: DEV_WITH_GO_SERVICES, services: GO_SERVICES, result: () => run({ stack: "dev", config: DEV_WITH_GO_SERVICES }) },
];

describe("armory/go-yaml-tools loads the Go services' rendered TLS settings", function () {
    let bin: string;
    before(function () {
        // A cold build compiles go-yaml-tools' dependency tree (AWS, Vault, GCS clients) niced on 2 cores.
        this.timeout(20 * 60_000);
        const r = childProcess.spawnSync("bash", [BUILD], { encoding: "utf8", timeout: 20 * 60_000 });
        assert.strictEqual(r.status, 0, `test/peers/go/build.sh failed (status ${r.status}${r.error ? `, ${r.error.message}` : ""}):\n${r.stderr}`);
        bin = r.stdout.trim().split("\n").pop()!;
        assert.ok(fs.existsSync(bin), `build.sh printed ${bin}, which does not exist`);
    });

    for (const c of cases) {
        describe(c.title, () => {
            const t = tempDir("go-yaml-tools");
            const config = loadStackConfig(loadProject(PROJECT_ROOT), c.stack, c.overrides).values;
            const rsaBits = Number(config[CONFIG_KEY("rsaBits")]);
            let spinnaker: SpinnakerConfig;
            let secrets: Map<string, ServiceFiles>;
            const configDirs = new Map<string, string>();
            /** Each Go service's server, or why it did not start (each test reports that as its own failure). */
            const servers = new Map<GoService, GoServer | Error>();
            let echo: { port: number; close: () => Promise<void> } | undefined;

            before(async () => {
                const result = await c.result();
                spinnaker = spinnakerConfigOf(result);
                const byName = secretsByName(result);
                secrets = serviceSecrets(result);
                for (const service of c.services) {
                    assert.ok(spinnaker.profiles[service], `the ${c.stack} stack renders no ${service} profile`);
                    configDirs.set(service, layOutContainer(path.join(t.dir, service), service, spinnaker.profiles[service], byName));
                }
                // terraformer's client, with the certificate lines removed from its
                // http.* (what a client that presents none looks like to go-yaml-tools).
                const { clientCertFile: _cert, clientKeyFile: _key, ...trustOnly } = spinnaker.profiles.terraformer.http as Tree;
                configDirs.set("no-certificate", layOutContainer(path.join(t.dir, "no-certificate"), "terraformer", { ...spinnaker.profiles.terraformer, http: trustOnly }, byName));
                for (const service of c.services) {
                    servers.set(service, await GoServer.start(bin, configDirs.get(service)!, service).catch((e: Error) => e));
                }
            });
            after(async () => {
                for (const s of servers.values()) if (s instanceof GoServer) await s.stop();
                await echo?.close();
                t.remove();
            });

            const serving = (service: GoService): GoServer => {
                const s = servers.get(service);
                if (s instanceof GoServer) return s;
                throw s ?? new Error(`${service}'s server was not started`);
            };
            const baseUrl = (service: string) => spinnaker["service-settings"][service].baseUrl!;
            const clientAuth = (service: GoService) => ((spinnaker.profiles[service].server as Tree).ssl as Tree).clientAuth as string;

            /** The Go server the refusal tests call: dinghy where it runs, else terraformer. */
            const judge: GoService = c.services[0];

            it(`gives ${c.services.join(" and ")} RSA keys of rsaBits bits in PKCS#1 PEM (RSA PRIVATE KEY), the only key block go-yaml-tools reads`, () => {
                for (const service of c.services) {
                    const pem = text(secrets.get(service)!, SECRET_KEY.privateKey);
                    assert.strictEqual(/^-----BEGIN ([A-Z ]+)-----/.exec(pem)?.[1], "RSA PRIVATE KEY", `${service}'s ${SECRET_KEY.privateKey}`);
                    const key = crypto.createPrivateKey(pem);
                    assert.deepStrictEqual({ type: key.asymmetricKeyType, bits: key.asymmetricKeyDetails?.modulusLength }, { type: "rsa", bits: rsaBits }, service);
                }
            });

            for (const service of c.services) {
                it(`${service}'s server.ssl loads through go-yaml-tools and serves TLS with its RSA key, at the stack's clientAuth`, () => {
                    const s = serving(service);
                    assert.strictEqual(clientAuth(service), config[CONFIG_KEY("clientAuth")]);
                    assert.deepStrictEqual(s.starting.key, { type: "RSA", bits: rsaBits });
                    assert.strictEqual(s.starting.clientAuth, clientAuth(service));
                });
            }

            const pairs: (readonly [GoService, GoService])[] = c.services.length > 1 ? [["terraformer", "dinghy"], ["dinghy", "terraformer"]] : [[judge, judge]];
            for (const [client, server] of pairs) {
                it(`${client}'s http.* client (go-yaml-tools) calls ${server} at its baseUrl and is verified as spin-${client}`, async () => {
                    const o = await goCall(bin, configDirs.get(client)!, client, `${baseUrl(server)}/health`, serving(server).port);
                    assert.strictEqual(o.code, 0, describeOutcome(o));
                    assert.deepStrictEqual(eventOf(o, "client")?.key, { type: "RSA", bits: rsaBits });
                    assert.deepStrictEqual(JSON.parse(eventOf(o, "response")!.body as string), { peer: `spin-${client}` });
                });
            }

            it(`a Go client with no certificate is refused by ${judge} at need and let in unidentified at want`, async () => {
                const o = await goCall(bin, configDirs.get("no-certificate")!, "terraformer", `${baseUrl(judge)}/health`, serving(judge).port);
                assert.strictEqual(eventOf(o, "client"), undefined, "this client must hold no certificate");
                if (clientAuth(judge) === "need") {
                    assert.strictEqual(o.code, 3, describeOutcome(o));
                    assert.match(String(eventOf(o, "error")?.error), /tls: certificate required/);
                } else {
                    assert.strictEqual(clientAuth(judge), "want");
                    assert.strictEqual(o.code, 0, describeOutcome(o));
                    assert.deepStrictEqual(JSON.parse(eventOf(o, "response")!.body as string), { peer: "" });
                }
            });

            it(`${judge} refuses a client certificate from another CA`, async () => {
                const stranger: Issued = issue(newCa("Other CA"), { commonName: "spin-terraformer" });
                const r = await nodeGet(baseUrl(judge), serving(judge).port, { ca: text(secrets.get("terraformer")!, SECRET_KEY.caCertificate), cert: stranger.certPem, key: stranger.keyPem });
                assert.strictEqual(r.ok, false, JSON.stringify(r));
                // Go's server answers a chain it cannot verify against cacertFile with alert 48.
                assert.match(r.error!, /alert unknown ca/);
            });

            for (const service of c.services) {
                it(`a client holding echo's keystore (a Java service's material) calls ${service} and is verified as spin-echo`, async () => {
                    const echoFiles = secrets.get("echo")!;
                    const r = await nodeGet(baseUrl(service), serving(service).port, {
                        pfx: echoFiles.files[SECRET_KEY.keystore],
                        passphrase: text(echoFiles, SECRET_KEY.keystorePassword),
                        ca: text(echoFiles, SECRET_KEY.caCertificate),
                    });
                    assert.deepStrictEqual(r.ok && r.status, 200, JSON.stringify(r));
                    assert.deepStrictEqual(JSON.parse(r.body!), { peer: "spin-echo" });
                });
            }

            it(`the http.* clients of ${c.services.join(" and ")} call a server holding echo's keystore at echo's baseUrl, at echo's rendered client-auth`, async () => {
                const echoSsl = (spinnaker.profiles.echo.server as Tree).ssl as Tree;
                echo = await javaMaterialServer(secrets.get("echo")!, echoSsl["client-auth"] as string);
                for (const service of c.services) {
                    const o = await goCall(bin, configDirs.get(service)!, service, baseUrl("echo"), echo.port);
                    assert.strictEqual(o.code, 0, `${service}: ${describeOutcome(o)}`);
                    assert.deepStrictEqual(JSON.parse(eventOf(o, "response")!.body as string), { peer: `spin-${service}` });
                }
            });
        });
    }
});

// Real TLS handshakes in Node (OpenSSL underneath): a server that requires a
// client certificate, holding one service's identity, and clients holding
// others'. What the program issues must pass; everything else must not.
import * as assert from "assert";
import * as net from "net";
import * as tls from "tls";
import { SECRET_KEY } from "../../components/pki/secretLayout";
import { Issued, expired, issue, newCa, stackCa } from "../support/pki";
import { ServiceFiles, peerRun, serviceSecrets, text } from "../support/stacks";

interface Outcome {
    readonly ok: boolean;
    readonly peer?: string;
    readonly error?: string;
    /** Why the server refused the client, as OpenSSL reports it. */
    readonly serverError?: string;
}

const identity = (f: ServiceFiles): Issued => ({ certPem: text(f, SECRET_KEY.certificate), keyPem: text(f, SECRET_KEY.privateKey) });

/** One mutual-TLS exchange on 127.0.0.1: the server echoes the client's CN once the handshake verifies it. */
async function exchange(server: Issued, serverCa: string, client: Partial<Issued>, clientCa: string, servername: string): Promise<Outcome> {
    // The server verifies the client as Node's rejectUnauthorized does (refuse
    // unless OpenSSL's chain verification passed), but records why it refused.
    let serverError: string | undefined;
    const srv = tls.createServer({ cert: server.certPem, key: server.keyPem, ca: serverCa, requestCert: true, rejectUnauthorized: false, minVersion: "TLSv1.2" }, (socket) => {
        if (!socket.authorized) {
            serverError = String(socket.authorizationError);
            socket.destroy();
            return;
        }
        socket.end(`hello ${socket.getPeerCertificate().subject?.CN}\n`);
    });
    srv.on("tlsClientError", (e) => (serverError ??= e.message));
    await new Promise<void>((resolve) => srv.listen(0, "127.0.0.1", resolve));
    const port = (srv.address() as net.AddressInfo).port;
    try {
        const outcome = await new Promise<Outcome>((resolve) => {
            let data = "";
            const socket = tls.connect({ host: "127.0.0.1", port, servername, ca: clientCa, cert: client.certPem, key: client.keyPem, rejectUnauthorized: true, minVersion: "TLSv1.2" });
            const timer = setTimeout(() => socket.destroy(new Error("timed out")), 10_000);
            socket.on("data", (d) => (data += d));
            socket.on("end", () => {
                clearTimeout(timer);
                resolve(data ? { ok: true, peer: data.trim() } : { ok: false, error: "closed without a reply" });
            });
            socket.on("error", (e) => {
                clearTimeout(timer);
                resolve({ ok: false, error: e.message });
            });
        });
        // Give the server's handshake error event a moment to land.
        await new Promise((resolve) => setImmediate(resolve));
        return serverError ? { ...outcome, serverError } : outcome;
    } finally {
        await new Promise<void>((resolve) => srv.close(() => resolve()));
    }
}

for (const stack of ["dev", "prod"]) {
    describe(`mutual TLS in Node between the ${stack} stack's services`, () => {
        let secrets: Map<string, ServiceFiles>;
        before(async () => {
            secrets = serviceSecrets(await peerRun(stack));
        });

        it("every pair of services (server, client) completes the handshake both ways round", async () => {
            const names = [...secrets.keys()].sort();
            for (let i = 0; i < names.length; i++) {
                const server = secrets.get(names[i])!;
                const client = secrets.get(names[(i + 1) % names.length])!;
                const r = await exchange(identity(server), text(server, SECRET_KEY.caCertificate), identity(client), text(client, SECRET_KEY.caCertificate), `spin-${names[i]}.${stack === "dev" ? "spinnaker-dev" : "spinnaker"}.svc.cluster.local`);
                assert.deepStrictEqual(r, { ok: true, peer: `hello spin-${names[(i + 1) % names.length]}` }, `${names[i]} <- ${client.service}`);
            }
        });

        describe("the server refuses", () => {
            const run = async (client: Partial<Issued>) => {
                const gate = secrets.get("gate")!;
                return exchange(identity(gate), text(gate, SECRET_KEY.caCertificate), client, text(gate, SECRET_KEY.caCertificate), "spin-gate");
            };
            it("a client with no certificate", async () => {
                const r = await run({});
                assert.strictEqual(r.ok, false);
                assert.strictEqual(r.serverError, "UNABLE_TO_GET_ISSUER_CERT");
            });
            it("a client certificate from another CA", async () => {
                const r = await run(issue(newCa("Other CA"), { commonName: "spin-orca" }));
                assert.strictEqual(r.ok, false);
                assert.match(r.serverError!, /^UNABLE_TO_VERIFY_LEAF_SIGNATURE$/);
            });
            it("an expired client certificate from the right CA", async () => {
                const r = await run(expired(stackCa(await peerRun(stack)), "spin-orca"));
                assert.strictEqual(r.ok, false);
                assert.match(r.serverError!, /^CERT_HAS_EXPIRED$/);
            });
            it("a client certificate from the right CA that allows only serverAuth", async () => {
                const r = await run(issue(stackCa(await peerRun(stack)), { commonName: "spin-orca", allowedUses: ["digital_signature", "server_auth"] }));
                assert.strictEqual(r.ok, false);
                assert.match(r.serverError!, /^INVALID_PURPOSE$/);
            });
        });

        it("a client refuses a server whose name is not in the certificate", async () => {
            const gate = secrets.get("gate")!;
            const orca = secrets.get("orca")!;
            const r = await exchange(identity(gate), text(gate, SECRET_KEY.caCertificate), identity(orca), text(orca, SECRET_KEY.caCertificate), "spin-deck");
            assert.strictEqual(r.ok, false);
            assert.match(r.error!, /Hostname\/IP does not match certificate's altnames/);
        });
    });
}

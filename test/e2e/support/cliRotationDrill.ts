// What the CA rotation drills share (test/e2e/caRotation.e2e.test.ts, the dev
// stack on the pulumi backend; test/e2e/caRotationCertManager.e2e.test.ts, the
// prod stack on cert-manager): the test's own model of the phases (issue 21),
// certificates known by the SHA-256 of their public key, PKCS#12 stores read by
// OpenSSL 3, live mutual-TLS handshakes between real OpenSSL peers, and the
// reading of `pulumi up --json`'s engine events. Moved here unchanged from the
// dev drill, so both drills judge by the same code.
import * as assert from "assert";
import { ChildProcess } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { runGroup, startGroup, stopGroup } from "./processes";
import { StackRun } from "./stackRun";

export const key = (k: string) => `spinnaker-mtls:${k}`;
/** The documented switch that lets one phase past the gate (docs/configuration.md, issue 21). */
export const FORCE_ENV = "SPINNAKER_MTLS_FORCE_CA_ROTATION";
/** The JVM-wide trust store's Secret (docs/architecture.md, JvmTrustStore). */
export const JVM_TRUSTSTORE = "spinnaker-mtls-jvm-truststore";
/** The services README.md's table lists as Java: their Secrets hold keystore.p12 and truststore.p12. */
export const JAVA_SERVICES = ["clouddriver", "echo", "fiat", "front50", "gate", "igor", "kayenta", "orca", "rosco"];
export const STACK_TYPES = ["pulumi:pulumi:Stack"];
/** Bounds on a stuck openssl, not timing assertions: a hang ends as a failure with its reason. */
export const HANG_GUARD_MS = 60_000;

export type Phase = "none" | "trust-both" | "issue-next" | "trust-next";
export type Role = "current" | "next";
/** The test's model of the phases (issue 21), not the code's. */
export const MODEL: Record<Phase, { trusted: Role[]; signer: Role }> = {
    none: { trusted: ["current"], signer: "current" },
    "trust-both": { trusted: ["current", "next"], signer: "current" },
    "issue-next": { trusted: ["current", "next"], signer: "next" },
    "trust-next": { trusted: ["next"], signer: "next" },
};

export interface Secret { metadata: { name: string; resourceVersion: string }; type?: string; data?: Record<string, string> }
export interface SpinnakerService { metadata: { resourceVersion: string }; spec: { spinnakerConfig: Record<string, unknown> } }
export interface StepMeta { op: string; urn: string; type: string; old?: { outputs?: Record<string, unknown> }; new?: { outputs?: Record<string, unknown> } }
export interface EngineEvent {
    resourcePreEvent?: { metadata: StepMeta };
    resOutputsEvent?: { metadata: StepMeta };
    diagnosticEvent?: { message: string; severity: string };
    summaryEvent?: { resourceChanges?: Record<string, number>; result?: string };
}
export interface Up { code: number; text: string; events: EngineEvent[]; /** Wall seconds of the pulumi up. */ seconds: number }

// --- Certificates -----------------------------------------------------------

export const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;
export const PEM_KEY = /-----BEGIN (?:EC |RSA )?PRIVATE KEY-----[\s\S]+?-----END (?:EC |RSA )?PRIVATE KEY-----/g;
export const certsOf = (pem: string): crypto.X509Certificate[] => (pem.match(PEM_CERT) ?? []).map((p) => new crypto.X509Certificate(p));
export const fpOf = (c: crypto.X509Certificate) => crypto.createHash("sha256").update(c.publicKey.export({ type: "spki", format: "der" })).digest("hex");
export const shortFp = (f: string) => f.replace(/:/g, "").slice(0, 12).toLowerCase();
export const sorted = (xs: Iterable<string>) => [...xs].sort();
export const data = (s: Secret, k: string): Buffer => {
    const v = s.data?.[k];
    assert.ok(v !== undefined, `${s.metadata.name} has no ${k}`);
    return Buffer.from(v, "base64");
};
/** The known CAs whose key signed `leaf` and which `leaf` names as its issuer (name and key identifier). */
export const signersOf = (leaf: crypto.X509Certificate, cas: Iterable<crypto.X509Certificate>): string[] =>
    [...cas].filter((ca) => leaf.checkIssued(ca) && leaf.verify(ca.publicKey)).map(fpOf);
/** A self-signed CA certificate. */
export const isRootCa = (c: crypto.X509Certificate) => c.ca && c.checkIssued(c) && c.verify(c.publicKey);

/** A PKCS#12 file's certificates and key, read by OpenSSL 3 (no -legacy); the password travels in the environment, never in argv. */
export async function readP12(p12: Buffer, password: Buffer, dir: string): Promise<{ certs: crypto.X509Certificate[]; keyPem?: string }> {
    const d = fs.mkdtempSync(path.join(dir, "p12-"));
    try {
        const file = path.join(d, "store.p12");
        fs.writeFileSync(file, p12, { mode: 0o600 });
        const r = await runGroup("openssl pkcs12", "openssl", ["pkcs12", "-in", file, "-passin", "env:E2E_P12_PASS", "-nodes"], {
            env: { ...process.env, E2E_P12_PASS: password.toString("utf8") },
            timeoutMs: HANG_GUARD_MS,
        });
        assert.strictEqual(r.code, 0, `openssl pkcs12 could not read the store: ${r.stderr}`);
        const keys = r.stdout.match(PEM_KEY) ?? [];
        assert.ok(keys.length <= 1, `${keys.length} keys in one store`);
        return { certs: certsOf(r.stdout), keyPem: keys[0] };
    } finally {
        fs.rmSync(d, { recursive: true, force: true });
    }
}

// --- Handshakes ---------------------------------------------------------------

/** One side of a handshake: its certificate chain (leaf first) and key, or none, and the CAs it trusts. */
export interface Party { label: string; chainPem?: string; keyPem?: string; trustPem: string }
export interface Handshake { flavor: string; server: string; client: string; ok: boolean; why: string }

/** What an openssl process printed and how it ended. */
function outcome(child: ChildProcess): Promise<{ code: number | null; stdout: string; stderr: string; hung: boolean }> {
    let stdout = "";
    let stderr = "";
    child.stdout?.on("data", (d: Buffer) => (stdout += d.toString("utf8")));
    child.stderr?.on("data", (d: Buffer) => (stderr += d.toString("utf8")));
    return new Promise((resolve) => {
        let hung = false;
        const guard = setTimeout(() => {
            hung = true;
            void stopGroup(child, 2000);
        }, HANG_GUARD_MS);
        child.once("close", (code) => {
            clearTimeout(guard);
            resolve({ code, stdout, stderr, hung });
        });
    });
}

/** The port s_server listens on, from its "ACCEPT 127.0.0.1:<port>" line. */
function acceptedPort(server: ChildProcess, stderr: () => string): Promise<number> {
    return new Promise((resolve, reject) => {
        let out = "";
        const guard = setTimeout(() => reject(new Error(`s_server did not listen: ${out} ${stderr()}`)), HANG_GUARD_MS);
        server.stdout!.on("data", (d: Buffer) => {
            out += d.toString("utf8");
            const m = /^ACCEPT 127\.0\.0\.1:(\d+)$/m.exec(out);
            if (m) {
                clearTimeout(guard);
                resolve(Number(m[1]));
            }
        });
        server.once("exit", (code) => {
            clearTimeout(guard);
            reject(new Error(`s_server exited ${code} before listening: ${out} ${stderr()}`));
        });
    });
}

/**
 * One mutual-TLS handshake between real OpenSSL peers on 127.0.0.1: the server
 * requires and verifies a client certificate, the client verifies the server's
 * chain and host name, each against its own trust only (no system CAs), and any
 * verification error is fatal on both sides. It counts as made when the client
 * exits 0 having read the server's HTTP answer, which the server sends only
 * after the handshake (TLS 1.3 reports a refused client certificate only then).
 */
export async function handshake(dir: string, flavor: string, server: Party, client: Party, host: string): Promise<Handshake> {
    const d = fs.mkdtempSync(path.join(dir, "hs-"));
    const write = (name: string, content: string) => {
        const p = path.join(d, name);
        fs.writeFileSync(p, content, { mode: 0o600 });
        return p;
    };
    const identity = (p: Party, who: string): string[] => {
        if (!p.chainPem) return [];
        const [leaf, ...chain] = certsOf(p.chainPem);
        return [
            "-cert", write(`${who}.crt`, leaf.toString()),
            "-key", write(`${who}.key`, p.keyPem!),
            ...(chain.length > 0 ? ["-cert_chain", write(`${who}-chain.crt`, chain.map((c) => c.toString()).join(""))] : []),
        ];
    };
    const trust = (p: Party, who: string) => ["-CAfile", write(`${who}-trust.pem`, p.trustPem), "-no-CApath", "-no-CAstore", "-verify_return_error", "-x509_strict"];
    let srv: ChildProcess | undefined;
    let cli: ChildProcess | undefined;
    try {
        srv = startGroup("openssl s_server", "openssl", ["s_server", "-accept", "127.0.0.1:0", "-naccept", "1", "-www", ...identity(server, "server"), ...trust(server, "server"), "-Verify", "4"], { stdio: ["ignore", "pipe", "pipe"] });
        let srvErr = "";
        srv.stderr!.on("data", (b: Buffer) => (srvErr += b.toString("utf8")));
        const port = await acceptedPort(srv, () => srvErr);
        cli = startGroup("openssl s_client", "openssl", ["s_client", "-connect", `127.0.0.1:${port}`, "-servername", host, "-verify_hostname", host, "-verify", "4", ...identity(client, "client"), ...trust(client, "client"), "-ign_eof"], { stdio: ["pipe", "pipe", "pipe"] });
        const done = outcome(cli);
        cli.stdin!.end("GET / HTTP/1.0\r\n\r\n");
        const r = await done;
        // s_client prints the answer right after the session details, on no line of its own.
        const ok = r.code === 0 && /HTTP\/1\.0 200 ok/.test(r.stdout);
        const verify = /Verify return code: .*/.exec(r.stdout)?.[0] ?? "";
        const errors = `${r.stderr}\n${srvErr}`.split("\n").filter((l) => /error|alert|verify/i.test(l)).map((l) => l.trim()).slice(0, 4);
        return { flavor, server: server.label, client: client.label, ok, why: ok ? verify : [r.hung ? "no answer" : `client exit ${r.code}`, verify, ...errors].filter(Boolean).join("; ") };
    } finally {
        await stopGroup(cli, 2000);
        await stopGroup(srv, 2000);
        fs.rmSync(d, { recursive: true, force: true });
    }
}

/** What one deployment gives orca (server) and gate (client), two ways. */

export const describeHandshake = (h: Handshake) => `${h.ok ? "ok    " : "FAILED"} ${h.flavor}: server ${h.server} ← client ${h.client}${h.ok ? "" : ` (${h.why})`}`;

// --- Engine events ------------------------------------------------------------

/** `pulumi up --json`: one engine event per line; anything else on stdout is an error of the test's reading. */
export function engineEvents(stdout: string): EngineEvent[] {
    return stdout.split("\n").filter((l) => l.trim()).map((l) => JSON.parse(l) as EngineEvent);
}
/** Per resource, the operations the engine reported done (resOutputsEvent), but "same" and "read". */
export function changesOf(events: EngineEvent[]): Map<string, string[]> {
    const out = new Map<string, string[]>();
    for (const e of events) {
        const m = e.resOutputsEvent?.metadata;
        if (!m || m.op === "same" || m.op === "read") continue;
        out.set(m.urn, [...(out.get(m.urn) ?? []), m.op]);
    }
    return out;
}
export const summaryOf = (events: EngineEvent[]) => events.find((e) => e.summaryEvent)?.summaryEvent;
export const urnType = (urn: string) => urn.split("::")[2].split("$").pop()!;
export const urnName = (urn: string) => urn.split("::").pop()!;

// --- pulumi up ----------------------------------------------------------------

/** `pulumi up --json` of a stack run, with (by default) its policy pack; its engine events and wall time. */
export async function pulumiUp(run: StackRun, args: string[] = [], pack = true): Promise<Up> {
    const started = Date.now();
    const r = await run.ws.run(["up", "--yes", "--skip-preview", "--json", ...args, ...(pack ? run.policyArgs : [])], run.project, 1_200_000);
    const seconds = (Date.now() - started) / 1000;
    const events = engineEvents(r.stdout);
    // The reading's own check: every run ends with a summary.
    assert.ok(summaryOf(events), `no summary event in pulumi up --json (exit ${r.code}):\n${r.stderr.slice(-2000)}`);
    return { code: r.code, text: `${r.stdout}\n${r.stderr}`, events, seconds };
}

/** `f` with FORCE_ENV set to `phase` in the CLI's environment, and only for `f`. */
export async function withForce<T>(run: StackRun, phase: string, f: () => Promise<T>): Promise<T> {
    run.ws.env[FORCE_ENV] = phase;
    try {
        return await f();
    } finally {
        delete run.ws.env[FORCE_ENV];
    }
}

/** The summary's counts are the events' (the reading missed nothing). */
export function assertSummaryMatches(label: string, events: EngineEvent[]) {
    const summary = summaryOf(events)!.resourceChanges ?? {};
    const changes = changesOf(events);
    for (const [op, n] of Object.entries(summary)) {
        if (op === "same" || op === "read") continue;
        const seen = [...changes.values()].filter((ops) => ops.includes(op)).length;
        assert.strictEqual(seen, n, `${label}: the summary counts ${n} ${op}, the events ${seen}`);
    }
}

// --- An unrelated CA -------------------------------------------------------------

/**
 * An impostor CA with `real`'s subject name, and a leaf for `dnsNames` with both
 * usages and subject CN=`cn`, made by OpenSSL; well formed for -x509_strict.
 * `party(label)` presents that leaf and trusts the impostor CA alone.
 */
export async function impostor(dir: string, real: crypto.X509Certificate, dnsNames: string[], cn: string): Promise<{ caPem: string; party: (label: string) => Party }> {
    const d = fs.mkdtempSync(path.join(dir, "impostor-"));
    const ossl = async (args: string[]) => {
        const r = await runGroup("openssl", "openssl", args, { cwd: d, timeoutMs: HANG_GUARD_MS });
        assert.strictEqual(r.code, 0, `openssl ${args.join(" ")}: ${r.stderr}`);
    };
    const subject = real.subject.split("\n").map((l) => `/${l}`).join("");
    fs.writeFileSync(path.join(d, "leaf.ext"), [
        "basicConstraints = critical, CA:FALSE",
        "keyUsage = critical, digitalSignature",
        "extendedKeyUsage = serverAuth, clientAuth",
        `subjectAltName = ${dnsNames.map((n) => `DNS:${n}`).join(", ")}`,
        "subjectKeyIdentifier = hash",
        "authorityKeyIdentifier = keyid",
    ].join("\n"));
    await ossl(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "ca.key", "-out", "ca.crt", "-days", "2", "-subj", subject,
        "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"]);
    await ossl(["req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "leaf.key", "-out", "leaf.csr", "-subj", `/CN=${cn}`]);
    await ossl(["x509", "-req", "-in", "leaf.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-days", "2", "-extfile", "leaf.ext", "-out", "leaf.crt"]);
    const caPem = fs.readFileSync(path.join(d, "ca.crt"), "utf8");
    assert.strictEqual(new crypto.X509Certificate(caPem).subject, real.subject, "the impostor CA's subject differs from the real one's");
    return { caPem, party: (label: string): Party => ({ label, chainPem: fs.readFileSync(path.join(d, "leaf.crt"), "utf8"), keyPem: fs.readFileSync(path.join(d, "leaf.key"), "utf8"), trustPem: caPem }) };
}

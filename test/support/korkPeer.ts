// The kork peer (test/peers/kork) as the tests run it: its jar, and a Java
// service's pod laid out on disk from what the program emits (the Operator's
// Secret references resolved, the JVM argfile and the files it names).
import * as assert from "assert";
import * as childProcess from "child_process";
import * as fs from "fs";
import * as https from "https";
import * as net from "net";
import * as path from "path";
import * as YAML from "yaml";
import { JVM_OPTIONS_KEY } from "../../components/spinnaker/jvmOptions";
import { RunResult } from "../../engine/run";
import { spinnakerConfigOf } from "./goPeer";
import { Issued } from "./pki";
import { freePort } from "./redisServer";
import { ServiceFiles, secretsByName } from "./stacks";

/** Builds (or reuses) the fat jar; the path is build.sh's last line. */
export function korkPeerJar(): string {
    const r = childProcess.spawnSync("bash", [path.join(__dirname, "..", "peers", "kork", "build.sh")], { encoding: "utf8", timeout: 20 * 60_000 });
    assert.strictEqual(r.status, 0, `test/peers/kork/build.sh failed (${r.status ?? r.signal}):\n${r.stdout}\n${r.stderr}`);
    const jar = r.stdout.trim().split("\n").pop()!;
    assert.ok(fs.existsSync(jar), `build.sh named no jar: ${r.stdout}`);
    return jar;
}

const REF = /^(encryptedFile|encrypted):k8s!n:([^!]+)!k:(.+)$/;

/**
 * Resolves the Operator's Secret references in a profile the way the Operator
 * does before the service starts: `encryptedFile:` becomes the path of a file
 * holding that Secret key's content, `encrypted:` the content itself.
 */
export function resolveSecretRefs(tree: unknown, secrets: Map<string, ServiceFiles>, secretsDir: string): unknown {
    if (typeof tree === "string") {
        const m = REF.exec(tree);
        if (!m) return tree;
        const [, kind, name, key] = m;
        const content = secrets.get(name)?.files[key];
        assert.ok(content, `the profile references ${name}/${key}, which the run did not create`);
        if (kind === "encrypted") return content.toString("utf8");
        const file = path.join(secretsDir, name, key);
        fs.mkdirSync(path.dirname(file), { recursive: true });
        fs.writeFileSync(file, content, { mode: 0o600 });
        return file;
    }
    if (Array.isArray(tree)) return tree.map((v) => resolveSecretRefs(v, secrets, secretsDir));
    if (tree && typeof tree === "object") return Object.fromEntries(Object.entries(tree).map(([k, v]) => [k, resolveSecretRefs(v, secrets, secretsDir)]));
    return tree;
}

/** The service's JDK argfile, with the files it names (mounted under /opt/<svc>/secrets/ in the pod) laid out below `root`. */
export function podArgfile(result: RunResult, service: string, root: string): string {
    const secrets = secretsByName(result);
    const argfile = secrets.get(`spin-${service}-jvm`)!.files[JVM_OPTIONS_KEY].toString("utf8");
    for (const [, secret, key] of argfile.matchAll(new RegExp(`/opt/${service}/secrets/([^/"]+)/([^"]+)`, "g"))) {
        const file = path.join(root, "opt", service, "secrets", secret, key);
        fs.mkdirSync(path.dirname(file), { recursive: true });
        fs.writeFileSync(file, secrets.get(secret)!.files[key], { mode: 0o600 });
    }
    const file = path.join(root, "jvm-options");
    fs.writeFileSync(file, argfile.split("/opt/").join(`${root}/opt/`), { mode: 0o600 });
    return file;
}

/** An HTTPS server on 127.0.0.1 with `leaf`, answering every request with `body` as JSON (a service outside the stack). */
export async function jsonHttpsServer(leaf: Issued, body: unknown): Promise<{ port: number; close: () => Promise<void> }> {
    const server = https.createServer({ cert: leaf.certPem, key: leaf.keyPem }, (_req, res) => {
        res.setHeader("content-type", "application/json");
        res.end(JSON.stringify(body));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return {
        port: (server.address() as net.AddressInfo).port,
        close: () =>
            new Promise<void>((resolve) => {
                server.closeAllConnections();
                server.close(() => resolve());
            }),
    };
}

/** What a Java service's pod runs the kork peer with. */
export interface KorkLaunchOptions {
    readonly jar: string;
    readonly result: RunResult;
    readonly service: string;
    /** The pod's own folder: its resolved Secrets, profile and argfile go below it. */
    readonly root: string;
    /** Names the JVM resolves to 127.0.0.1 (jdk.net.hosts.file), as cluster DNS would resolve them to the pods. */
    readonly hostsFile: string;
    /** Spring properties that must differ on a test machine, from the command line. */
    readonly overrides: Record<string, string>;
}

/**
 * The service as its pod would start it: the profile with its Secrets resolved
 * (Spring's additional location), the argfile through JDK_JAVA_OPTIONS, a free
 * loopback port. The JVM flags keep a 2-core machine responsive.
 */
export async function korkLaunch(o: KorkLaunchOptions): Promise<{ port: number; args: string[]; env: NodeJS.ProcessEnv }> {
    fs.mkdirSync(o.root, { recursive: true });
    const profile = resolveSecretRefs(spinnakerConfigOf(o.result).profiles[o.service], secretsByName(o.result), path.join(o.root, "secrets"));
    const profileFile = path.join(o.root, `${o.service}-local.yml`);
    fs.writeFileSync(profileFile, YAML.stringify(profile), { mode: 0o600 });
    const port = await freePort();
    const args = [
        "-Xmx320m",
        "-XX:TieredStopAtLevel=1",
        "-XX:+UseSerialGC",
        `-Djdk.net.hosts.file=${o.hostsFile}`,
        "-jar",
        o.jar,
        `--spring.config.additional-location=file:${profileFile}`,
        `--spring.application.name=${o.service}`,
        `--server.port=${port}`,
        "--server.address=127.0.0.1",
        ...Object.entries(o.overrides).map(([k, v]) => `--${k}=${v}`),
    ];
    return { port, args, env: { ...process.env, JDK_JAVA_OPTIONS: `@${podArgfile(o.result, o.service, o.root)}` } };
}

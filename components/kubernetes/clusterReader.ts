// A read-only view of a cluster through a kubeconfig, for what the CA
// rotation must observe before it moves on (the Secrets, the pods). It reads
// what kubectl would for the same context: the server and its CA, and a
// client certificate or a bearer token. Credentials from exec plugins or auth
// providers are not run here; the error says so and what to do instead.
import * as fs from "fs";
import * as https from "https";
import * as os from "os";
import * as path from "path";
import * as YAML from "yaml";

export interface ClusterReader {
    /** The server's URL, for messages. */
    readonly server: string;
    /** GET an API path; undefined for 404. */
    get<T = unknown>(apiPath: string): Promise<T | undefined>;
    /** GET an API path that answers text (a container's log); undefined for 404. */
    getText(apiPath: string): Promise<string | undefined>;
    /** Closes its connections, so that nothing keeps the process alive after it. */
    close(): void;
}

/** A kubeconfig problem, said in one line, naming the file. */
export class KubeconfigError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "KubeconfigError";
    }
}

type Named<T> = { name: string } & Record<string, T>;

/** The kubeconfig kubectl would read: the given path, else the first of KUBECONFIG, else ~/.kube/config. */
export function kubeconfigPath(explicit?: string): string {
    if (explicit) return explicit;
    const fromEnv = (process.env.KUBECONFIG ?? "").split(path.delimiter).find((p) => p.trim() !== "");
    return fromEnv ?? path.join(os.homedir(), ".kube", "config");
}

const fileOrData = (base: string, data: unknown, file: unknown): Buffer | undefined => {
    if (typeof data === "string" && data !== "") return Buffer.from(data, "base64");
    if (typeof file === "string" && file !== "") return fs.readFileSync(path.resolve(path.dirname(base), file));
    return undefined;
};

/** Opens the kubeconfig's context (the current one unless named). Throws KubeconfigError naming what is missing. */
export function clusterReader(opts: { kubeconfig?: string; context?: string } = {}): ClusterReader {
    const file = kubeconfigPath(opts.kubeconfig);
    let doc: Record<string, unknown>;
    try {
        doc = (YAML.parse(fs.readFileSync(file, "utf8")) ?? {}) as Record<string, unknown>;
    } catch (e) {
        throw new KubeconfigError(`kubeconfig ${file}: ${(e as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (e as Error).message}`);
    }
    const find = <T>(list: unknown, name: string, what: string): T => {
        const hit = (Array.isArray(list) ? (list as Named<unknown>[]) : []).find((x) => x?.name === name);
        if (!hit) throw new KubeconfigError(`kubeconfig ${file}: no ${what} named ${JSON.stringify(name)}`);
        return hit[what] as T;
    };
    const contextName = opts.context ?? (doc["current-context"] as string | undefined);
    if (!contextName) throw new KubeconfigError(`kubeconfig ${file}: no current-context; name one with kubeContext`);
    const context = find<{ cluster: string; user: string }>(doc.contexts, contextName, "context");
    const cluster = find<Record<string, unknown>>(doc.clusters, context.cluster, "cluster");
    const user = find<Record<string, unknown>>(doc.users, context.user, "user") ?? {};
    if (user.exec || user["auth-provider"]) {
        throw new KubeconfigError(
            `kubeconfig ${file}: user ${JSON.stringify(context.user)} gets its credentials from ${user.exec ? "an exec plugin" : "an auth provider"}, which this reader does not run; ` +
                "use a kubeconfig with a client certificate or a token (kubectl config view --raw --minify, with a token from kubectl create token)",
        );
    }
    const server = String(cluster.server ?? "");
    if (!server.startsWith("https://")) throw new KubeconfigError(`kubeconfig ${file}: cluster ${JSON.stringify(context.cluster)} has server ${JSON.stringify(server)}; allowed: an https:// URL`);
    const token = typeof user.token === "string" ? user.token : typeof user.tokenFile === "string" ? fs.readFileSync(user.tokenFile, "utf8").trim() : undefined;
    const agent = new https.Agent({
        ca: fileOrData(file, cluster["certificate-authority-data"], cluster["certificate-authority"]),
        cert: fileOrData(file, user["client-certificate-data"], user["client-certificate"]),
        key: fileOrData(file, user["client-key-data"], user["client-key"]),
        rejectUnauthorized: cluster["insecure-skip-tls-verify"] !== true,
        ...(typeof cluster["tls-server-name"] === "string" ? { servername: cluster["tls-server-name"] } : {}),
    });
    const fetch = (apiPath: string, accept: string): Promise<string | undefined> =>
        new Promise((resolve, reject) => {
            const req = https.request(`${server.replace(/\/$/, "")}${apiPath}`, { method: "GET", agent, headers: { Accept: accept, ...(token ? { Authorization: `Bearer ${token}` } : {}) }, timeout: 15_000 }, (res) => {
                const chunks: Buffer[] = [];
                res.on("data", (c: Buffer) => chunks.push(c));
                res.on("end", () => {
                    const body = Buffer.concat(chunks).toString("utf8");
                    if (res.statusCode === 404) resolve(undefined);
                    // The API server answers a log request for a container that has not run with no content.
                    else if (res.statusCode === 204) resolve("");
                    else if (res.statusCode !== 200) reject(new Error(`GET ${apiPath} on ${server}: HTTP ${res.statusCode}: ${body.slice(0, 300)}`));
                    else resolve(body);
                });
            });
            req.on("timeout", () => req.destroy(new Error(`GET ${apiPath} on ${server}: no answer in 15 s`)));
            req.on("error", reject);
            req.end();
        });
    const get = async <T>(apiPath: string): Promise<T | undefined> => {
        const body = await fetch(apiPath, "application/json");
        return body === undefined ? undefined : (JSON.parse(body) as T);
    };
    return { server, get, getText: (apiPath) => fetch(apiPath, "text/plain, */*"), close: () => agent.destroy() };
}

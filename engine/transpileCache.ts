// A disk cache for ts-node's transpile-only output. Transpiling is a third of
// an offline run of dev (profiled: about 3 s of CPU for the program's ~60
// modules and the engine's; ts-node keeps no cache of its own), and the
// sources rarely change between two runs. The cache lives outside the
// project, keyed by the TypeScript and ts-node versions, the tsconfig, the
// file's path and its content, so an edit, an upgrade or another checkout
// never gets stale output.
//
// Only with `ts-node --transpile-only` (every npm script here): with type
// checking on, a cache hit would skip the check. Stack traces through cached
// modules stay mapped to the TypeScript lines: the output carries its inline
// source map, handed to source-map-support as ts-node hands its own.
// SPINNAKER_MTLS_TRANSPILE_CACHE=off turns it off; SPINNAKER_MTLS_TRANSPILE_CACHE_DIR
// puts it elsewhere.
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

interface TsNodeService {
    readonly options?: { readonly transpileOnly?: boolean };
    readonly config?: { readonly options?: unknown };
}

type CompilingModule = NodeModule & { _compile(code: string, filename: string): unknown };
type Loader = (m: NodeModule, filename: string) => void;

const PROJECT_ROOT = path.resolve(__dirname, "..");
let installed = false;

function versionOf(pkg: string): string {
    try {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        return (require(`${pkg}/package.json`) as { version: string }).version;
    } catch {
        return "unknown";
    }
}

export function cacheDir(): string {
    // The e2e points this at its run folder: its programs run from a copy per workspace, whose paths
    // (part of each key) never recur, so what they transpile is worth keeping for that run only.
    const dir = process.env.SPINNAKER_MTLS_TRANSPILE_CACHE_DIR;
    if (dir) return dir;
    return path.join(os.homedir(), ".cache", "spinnaker-mtls", `ts-transpile-${versionOf("typescript")}-ts-node-${versionOf("ts-node")}`);
}

/** Installs the cache in front of ts-node's `.ts` loader; false when it does not apply (type checking on, no ts-node, turned off). */
export function installTranspileCache(): boolean {
    if (installed) return true;
    if (process.env.SPINNAKER_MTLS_TRANSPILE_CACHE === "off") return false;
    const service = (process as unknown as Record<symbol, TsNodeService | undefined>)[Symbol.for("ts-node.register.instance")];
    const extensions = require.extensions as unknown as Record<string, Loader | undefined>;
    const tsNodeLoader = extensions[".ts"];
    if (!service?.options?.transpileOnly || !tsNodeLoader) return false;

    const dir = cacheDir();
    try {
        fs.mkdirSync(dir, { recursive: true });
    } catch {
        return false; // a read-only home: run without the cache
    }
    const settings = JSON.stringify(service.config?.options ?? {});
    const outputs = new Map<string, string>();
    // Source maps of cached output, as ts-node serves its own from memory.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    (require("@cspotcode/source-map-support") as { install(o: object): void }).install({
        environment: "node",
        retrieveFile: (file: string) => outputs.get(file) ?? null,
    });

    extensions[".ts"] = (m: NodeModule, filename: string) => {
        if (!filename.startsWith(PROJECT_ROOT + path.sep) || filename.includes(`${path.sep}node_modules${path.sep}`)) return tsNodeLoader(m, filename);
        const source = fs.readFileSync(filename, "utf8");
        const key = crypto.createHash("sha256").update(settings).update("\0").update(filename).update("\0").update(source).digest("hex");
        const cached = path.join(dir, `${key}.js`);
        let code: string | undefined;
        try {
            code = fs.readFileSync(cached, "utf8");
        } catch {
            code = undefined;
        }
        const mod = m as CompilingModule;
        if (code !== undefined) {
            outputs.set(filename, code);
            mod._compile(code, filename);
            return;
        }
        // ts-node wraps _compile with its transpiler and calls what it wrapped with the output: keep that output.
        const compile = mod._compile;
        mod._compile = function (this: CompilingModule, output: string, file: string) {
            mod._compile = compile;
            if (file === filename) {
                outputs.set(filename, output);
                const tmp = `${cached}.${process.pid}.tmp`;
                try {
                    fs.writeFileSync(tmp, output);
                    fs.renameSync(tmp, cached);
                } catch {
                    fs.rmSync(tmp, { force: true }); // a full disk costs speed, not correctness
                }
            }
            return compile.call(this, output, file);
        };
        tsNodeLoader(m, filename);
    };
    installed = true;
    return true;
}

// Imported first by each command (and by the engine, for the program's modules), so what loads after it is cached.
installTranspileCache();

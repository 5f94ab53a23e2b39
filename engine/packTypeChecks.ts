// Which policy-pack sources have passed a type-checked start: a record per
// digest of everything the check depends on (every file of the pack but its
// node_modules, and the versions of TypeScript, ts-node and the Pulumi
// packages), in a cache folder outside the project. A start of sources with a
// record runs them transpile-only (packTranspileOnly.js); any edit, upgrade or
// other checkout changes the digest and type-checks again.
// SPINNAKER_MTLS_PACK_TYPECHECK=always checks on every start.
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

const versionOf = (pkg: string, from: string): string => {
    try {
        return (JSON.parse(fs.readFileSync(require.resolve(`${pkg}/package.json`, { paths: [from] }), "utf8")) as { version: string }).version;
    } catch {
        return "none";
    }
};

/** Every file of the pack, by relative path, in a stable order (node_modules aside). */
function packFiles(dir: string, rel = ""): string[] {
    return fs
        .readdirSync(path.join(dir, rel), { withFileTypes: true })
        .filter((e) => e.name !== "node_modules" && !e.name.startsWith("."))
        .flatMap((e) => (e.isDirectory() ? packFiles(dir, path.join(rel, e.name)) : e.isFile() ? [path.join(rel, e.name)] : []))
        .sort();
}

export function packDigest(packDir: string): string {
    const h = crypto.createHash("sha256");
    for (const pkg of ["typescript", "ts-node", "@types/node", "@pulumi/pulumi", "@pulumi/policy"]) h.update(`${pkg}@${versionOf(pkg, packDir)}\0`);
    for (const f of packFiles(packDir)) h.update(f).update("\0").update(fs.readFileSync(path.join(packDir, f))).update("\0");
    return h.digest("hex");
}

export const recordDir = (): string => path.join(os.homedir(), ".cache", "spinnaker-mtls", "policy-pack-typechecked");

/** Whether these sources passed a type-checked start before, and how to record that they did. */
export function typeCheckedBefore(packDir: string): { known: boolean; record: () => void } {
    const digest = packDigest(packDir);
    const file = path.join(recordDir(), digest);
    const known = process.env.SPINNAKER_MTLS_PACK_TYPECHECK !== "always" && fs.existsSync(file);
    return {
        known,
        record: () => {
            try {
                fs.mkdirSync(recordDir(), { recursive: true });
                fs.writeFileSync(file, `${new Date().toISOString()} ${packDir}\n`);
            } catch {
                // a read-only home: the next start type-checks again
            }
        },
    };
}

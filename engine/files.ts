// The files the commands read and write. Every error names the file and says
// what is wrong with it (missing, empty, cut short, not an export), never a
// bare JavaScript error; what is written can hold secrets, so only its owner
// may read it.
import * as fs from "fs";
import * as path from "path";
import type { StackExport } from "./run";

/** Why a file could not be read, in words (never a bare errno code). */
export function readFailure(e: unknown): string {
    const code = (e as NodeJS.ErrnoException).code;
    switch (code) {
        case "ENOENT":
            return "no such file";
        case "EISDIR":
            return "it is a folder";
        case "EACCES":
        case "EPERM":
            return "permission denied: this user may not read it (check its mode and its folders')";
        case "ENOTDIR":
            return "a part of its path is a file, not a folder";
        default:
            return (e as Error).message ?? String(e);
    }
}

/** Why a file could not be written, in words. */
function writeFailure(e: unknown, dir: string): string {
    const code = (e as NodeJS.ErrnoException).code;
    switch (code) {
        case "EACCES":
        case "EPERM":
            return `permission denied: this user may not create files in ${dir}`;
        case "EROFS":
            return `${dir} is on a read-only file system`;
        case "EISDIR":
            return "it is a folder";
        case "ENOTDIR":
        case "EEXIST":
            return "a part of its path is a file, not a folder";
        case "ENOSPC":
            return "no space left on the device";
        default:
            // Node's own message names the temporary file; the code alone does not.
            return code ?? (e as Error).message;
    }
}

/** A file's text; a missing or unreadable file is an input error naming it. */
export function readInputFile(file: string, what: string): string {
    try {
        return fs.readFileSync(file, "utf8");
    } catch (e) {
        throw new Error(`${file}: cannot read the ${what}: ${readFailure(e)}`);
    }
}

/** The stack and project an export belongs to, from its root stack resource's URN (`urn:pulumi:<stack>::<project>::...`). */
export function exportStack(exp: StackExport): { stack: string; project: string } {
    const urn = exp.deployment.resources.find((r) => r.type === "pulumi:pulumi:Stack")?.urn ?? exp.deployment.resources[0]?.urn ?? "";
    const m = /^urn:pulumi:([^:]+)::([^:]+)::/.exec(urn);
    return { stack: m?.[1] ?? "unknown", project: m?.[2] ?? "unknown" };
}

/** JSON from a file, or an error naming the file and what is wrong with it. */
export function parseJsonFile(file: string, text: string, what: string): unknown {
    if (text.trim() === "") throw new Error(`${file}: the ${what} is empty`);
    try {
        return JSON.parse(text) as unknown;
    } catch (e) {
        const cut = /end of JSON input/i.test((e as Error).message);
        throw new Error(`${file}: the ${what} is not valid JSON${cut ? " (cut short?)" : ""}: ${(e as Error).message}`);
    }
}

/**
 * A stack export (`npm run offline` or `pulumi stack export`), checked for the
 * shape every reader here relies on.
 */
export function readExportFile(file: string): StackExport {
    return checkExport(file, readInputFile(file, "stack export"));
}

/** What `--state -` reads: an export on standard input (`pulumi stack export | ...`). */
export const STDIN_NAME = "standard input";

/**
 * A stack export from a file, or from standard input when `file` is "-"
 * (read as a stream: a pipe from another process may be non-blocking).
 */
export async function readExportFileOrStdin(file: string, stdin: NodeJS.ReadStream = process.stdin): Promise<StackExport> {
    if (file !== "-") return readExportFile(file);
    if (stdin.isTTY) throw new Error(`--state -: ${STDIN_NAME} is a terminal; pipe an export in, e.g. pulumi stack export --stack prod | npm run -s certs -- --state -`);
    const chunks: Buffer[] = [];
    for await (const chunk of stdin) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
    return checkExport(STDIN_NAME, Buffer.concat(chunks).toString("utf8"));
}

function checkExport(file: string, text: string): StackExport {
    const doc = parseJsonFile(file, text, "stack export") as Partial<StackExport> | null;
    const problem =
        typeof doc !== "object" || doc === null || Array.isArray(doc)
            ? "it is not a JSON object"
            : doc.version !== 3
              ? `its version is ${JSON.stringify(doc.version)}, not 3`
              : typeof doc.deployment !== "object" || doc.deployment === null
                ? "it has no deployment"
                : !Array.isArray(doc.deployment.resources)
                  ? "its deployment has no resources list"
                  : doc.deployment.resources.find((r) => typeof r !== "object" || r === null || typeof r.urn !== "string" || typeof r.type !== "string")
                    ? "a resource has no urn or type"
                    : undefined;
    if (problem) throw new Error(`${file}: not a version 3 stack export (pulumi stack export, or npm run offline): ${problem}`);
    return doc as StackExport;
}

/**
 * Writes a file only its owner can read or write (mode 0600), as a whole:
 * a temporary file beside it, renamed over it, so a file that was readable by
 * others before never holds the new content under the old mode.
 */
export function writePrivateFile(file: string, text: string): void {
    writeWholeFile(file, text, 0o600);
}

/** Writes a file anyone may read (mode 0644), as a whole, as writePrivateFile does. */
export function writePublicFile(file: string, text: string): void {
    writeWholeFile(file, text, 0o644);
}

function writeWholeFile(file: string, text: string, mode: number): void {
    const target = path.resolve(file);
    const dir = path.dirname(target);
    // Every failure names the file asked for, never the temporary file beside it.
    const named = (e: unknown) => new Error(`${file}: cannot write it: ${writeFailure(e, dir)}`);
    try {
        fs.mkdirSync(dir, { recursive: true });
    } catch (e) {
        throw named(e);
    }
    // Anything but a regular file (/dev/null, /dev/stdout, a pipe) is written as is: a rename would
    // put a regular file in its place, and as root that replaces the machine's /dev/null.
    if (fs.existsSync(target) && !fs.statSync(target).isFile()) {
        if (fs.statSync(target).isDirectory()) throw new Error(`${file}: cannot write it: it is a folder`);
        try {
            fs.writeFileSync(target, text);
        } catch (e) {
            throw named(e);
        }
        return;
    }
    const tmp = `${target}.${process.pid}.tmp`;
    try {
        fs.writeFileSync(tmp, text, { mode, flag: "wx" });
        fs.chmodSync(tmp, mode); // the umask may take bits away from the mode: be explicit
        fs.renameSync(tmp, target);
    } catch (e) {
        throw named(e);
    } finally {
        fs.rmSync(tmp, { force: true });
    }
}

/**
 * Refuses, before a long run, a target `writePrivateFile` could not write: a
 * folder, a path through a file, a folder this user may not write to. (Root
 * passes the permission check; the write itself still names the file.)
 */
export function assertWritable(file: string): void {
    const target = path.resolve(file);
    let dir = path.dirname(target);
    if (fs.existsSync(target) && fs.statSync(target).isDirectory()) throw new Error(`${file}: cannot write it: it is a folder`);
    // A device (/dev/null, /dev/stdout) is written in place: its own permission counts, not its folder's.
    if (fs.existsSync(target) && !fs.statSync(target).isFile()) {
        try {
            fs.accessSync(target, fs.constants.W_OK);
        } catch {
            throw new Error(`${file}: cannot write it: permission denied`);
        }
        return;
    }
    // The nearest folder that exists is where the first new entry would be made.
    while (!fs.existsSync(dir)) dir = path.dirname(dir);
    if (!fs.statSync(dir).isDirectory()) throw new Error(`${file}: cannot write it: ${dir} is a file, not a folder`);
    try {
        fs.accessSync(dir, fs.constants.W_OK);
    } catch (e) {
        throw new Error(`${file}: cannot write it: ${writeFailure(e, dir)}`);
    }
}

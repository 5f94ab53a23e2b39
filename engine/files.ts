// The files the commands read and write. Every error names the file and says
// what is wrong with it (missing, empty, cut short, not an export), never a
// bare JavaScript error; what is written can hold secrets, so only its owner
// may read it.
import * as fs from "fs";
import * as path from "path";
import type { StackExport } from "./run";

/** A file's text; a missing or unreadable file is an input error naming it. */
export function readInputFile(file: string, what: string): string {
    try {
        return fs.readFileSync(file, "utf8");
    } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        throw new Error(`${file}: cannot read the ${what}: ${code === "ENOENT" ? "no such file" : code === "EISDIR" ? "it is a folder" : (code ?? (e as Error).message)}`);
    }
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
    const doc = parseJsonFile(file, readInputFile(file, "stack export"), "stack export") as Partial<StackExport> | null;
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
    const target = path.resolve(file);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    // A character device (/dev/null, /dev/stdout) is written as is: it has no mode of its own to keep.
    if (fs.existsSync(target) && !fs.statSync(target).isFile()) {
        fs.writeFileSync(target, text);
        return;
    }
    const tmp = `${target}.${process.pid}.tmp`;
    try {
        fs.writeFileSync(tmp, text, { mode: 0o600, flag: "wx" });
        fs.chmodSync(tmp, 0o600); // the umask may not take bits away from 0600, but be explicit
        fs.renameSync(tmp, target);
    } finally {
        fs.rmSync(tmp, { force: true });
    }
}

// The files the commands read and write: every failure names the file the
// user gave, in words, never a bare errno code or a temporary file's name.
import * as assert from "assert";
import { spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { assertWritable, readFailure, readInputFile, writePrivateFile, writePublicFile } from "../../engine/files";
import { tempDir } from "../support/stacks";

/** An error as Node's fs throws it, for the codes a test cannot provoke as root. */
const errno = (code: string) => Object.assign(new Error(`${code}: something, open '/x/y.tmp'`), { code });

describe("files the commands read and write", () => {
    let t: { dir: string; remove: () => void };
    before(() => (t = tempDir("files")));
    after(() => t.remove());

    it("says why a file cannot be read in words, naming it", () => {
        const missing = path.join(t.dir, "missing.json");
        assert.throws(() => readInputFile(missing, "stack export"), { message: `${missing}: cannot read the stack export: no such file` });
        assert.throws(() => readInputFile(t.dir, "policy config"), { message: `${t.dir}: cannot read the policy config: it is a folder` });
        const aFile = path.join(t.dir, "plain");
        fs.writeFileSync(aFile, "x");
        assert.throws(() => readInputFile(path.join(aFile, "below"), "stack export"), { message: `${path.join(aFile, "below")}: cannot read the stack export: a part of its path is a file, not a folder` });
        // Root reads any file by its mode, so the permission codes are given here as fs gives them.
        for (const code of ["EACCES", "EPERM"]) assert.strictEqual(readFailure(errno(code)), "permission denied: this user may not read it (check its mode and its folders')");
        assert.strictEqual(readFailure(errno("EIO")), "EIO: something, open '/x/y.tmp'", "any other failure keeps Node's own words");
    });

    it("names the target, never the temporary file beside it, when an export cannot be written", () => {
        const aFile = path.join(t.dir, "a-file");
        fs.writeFileSync(aFile, "");
        const through = path.join(aFile, "out.json");
        assert.throws(() => writePrivateFile(through, "{}"), { message: `${through}: cannot write it: a part of its path is a file, not a folder` });
        assert.throws(() => writePrivateFile(t.dir, "{}"), { message: `${t.dir}: cannot write it: it is a folder` });
        // sysfs takes no new file, not even from root: the failure is at the temporary file, the message names the target.
        assert.throws(
            () => writePrivateFile("/sys/spinnaker-mtls-files-test.json", "{}"),
            (e: Error) => /^\/sys\/spinnaker-mtls-files-test\.json: cannot write it: (permission denied: this user may not create files in \/sys|\/sys is on a read-only file system)$/.test(e.message),
        );
        // Positive control: a writable target is written, owner-only.
        const ok = path.join(t.dir, "sub", "ok.json");
        writePrivateFile(ok, "{}\n");
        assert.deepStrictEqual([fs.readFileSync(ok, "utf8"), fs.statSync(ok).mode & 0o777], ["{}\n", 0o600]);
    });

    it("writes into a pipe (or a device) as is, and leaves it one: a rename over /dev/null would replace it, as root", async () => {
        for (const write of [writePrivateFile, writePublicFile]) {
            const fifo = path.join(t.dir, `pipe-${write.name}`);
            assert.strictEqual(spawnSync("mkfifo", [fifo]).status, 0);
            const reader = spawn("cat", [fifo], { stdio: ["ignore", "pipe", "inherit"] });
            let read = "";
            reader.stdout.on("data", (b: Buffer) => (read += b.toString()));
            const done = new Promise((resolve) => reader.on("close", resolve));
            write(fifo, "through the pipe\n");
            const stillAPipe = fs.statSync(fifo).isFIFO();
            if (!stillAPipe) reader.kill(); // it would wait for a writer forever
            assert.ok(stillAPipe, `${write.name} replaced the pipe ${fifo} with a regular file`);
            await done;
            assert.strictEqual(read, "through the pipe\n", write.name);
        }
        // Positive control for the modes: a regular file is replaced whole, with the writer's mode.
        const pub = path.join(t.dir, "public.json");
        writePublicFile(pub, "{}\n");
        assert.deepStrictEqual([fs.readFileSync(pub, "utf8"), fs.statSync(pub).mode & 0o777, fs.statSync(pub).isFile()], ["{}\n", 0o644, true]);
    });

    it("refuses before a run a target that cannot be written, and lets a device or a new folder through", () => {
        const aFile = path.join(t.dir, "another-file");
        fs.writeFileSync(aFile, "");
        assert.throws(() => assertWritable(path.join(aFile, "x", "out.json")), { message: `${path.join(aFile, "x", "out.json")}: cannot write it: ${aFile} is a file, not a folder` });
        assert.throws(() => assertWritable(t.dir), { message: `${t.dir}: cannot write it: it is a folder` });
        assert.doesNotThrow(() => assertWritable("/dev/null"));
        assert.doesNotThrow(() => assertWritable(path.join(t.dir, "new", "folders", "out.json")));
    });
});

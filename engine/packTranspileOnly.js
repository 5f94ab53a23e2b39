// Preloaded (node --require) into a policy pack's process when these exact
// pack sources have already passed a type-checked start (packTypeChecks.ts):
// by engine/policyHost.ts for the commands' own pack, and through
// NODE_OPTIONS for the Pulumi CLI's in the e2e (test/e2e/support/pulumiCli.ts).
// @pulumi/pulumi's run-policy-pack registers ts-node with typeCheck true, and
// this makes that registration transpile only. Type-checking the same sources
// again would give the same answer, at about 2 s of the pack's start; and
// the transpiled modules come from the project's transpile cache
// (transpileCache.ts), as the commands' own do.
//
// Through NODE_OPTIONS it also reaches the CLI's other Node.js processes: the
// program's (already transpile-only there: tsconfig.pulumi.json), and any
// whose folder has no ts-node, which it leaves alone.
"use strict";
/* eslint-disable @typescript-eslint/no-require-imports -- a CommonJS preload, run before any TypeScript */
const path = require("path");
let tsNodePath;
try {
    tsNodePath = require.resolve("ts-node", { paths: [process.cwd()] });
} catch {
    tsNodePath = undefined;
}
if (tsNodePath) {
    const tsNode = require(tsNodePath);
    const register = tsNode.register;
    tsNode.register = (options) => {
        const service = register({ ...options, typeCheck: false, transpileOnly: true });
        // Loaded through the ts-node just registered.
        require(path.join(__dirname, "transpileCache.ts"));
        return service;
    };
}

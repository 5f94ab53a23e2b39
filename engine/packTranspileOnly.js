// Preloaded (node --require) into a policy pack's process by engine/policyHost.ts
// when these exact pack sources have already passed a type-checked start:
// @pulumi/pulumi's run-policy-pack registers ts-node with typeCheck true, and
// this makes that registration transpile only. Type-checking the same sources
// again would give the same answer, at about 2 s of the pack's start; and
// the transpiled modules come from the project's transpile cache
// (transpileCache.ts), as the commands' own do.
"use strict";
/* eslint-disable @typescript-eslint/no-require-imports -- a CommonJS preload, run before any TypeScript */
const path = require("path");
const tsNode = require(require.resolve("ts-node", { paths: [process.cwd()] }));
const register = tsNode.register;
tsNode.register = (options) => {
    const service = register({ ...options, typeCheck: false, transpileOnly: true });
    // Loaded through the ts-node just registered.
    require(path.join(__dirname, "transpileCache.ts"));
    return service;
};

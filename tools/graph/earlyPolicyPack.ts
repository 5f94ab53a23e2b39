// Imported by tools/graph.ts right after the transpile cache, before the
// modules that take seconds to load (the engine, the SDK, ELK). When this
// process is the graph command and its arguments ask for the findings, the
// policy pack's process starts here, so that its start (about two seconds,
// in its own process) overlaps this process's loading and the offline run
// rather than following them (bench/README.md, "The trust graph").
//
// The arguments are read loosely here; the command parses them properly
// later, and stops a pack started for arguments it then refuses (and the
// process's exit stops it in any case: policyPackProcess.ts).
import * as path from "path";
import { POLICY_PACK_DIR } from "../../engine/paths";
import { PolicyPackProcess, spawnPolicyPack } from "../../engine/policyPackProcess";

/** Whether these graph arguments will want the policy pack. */
export function wantsPolicyPack(argv: readonly string[]): boolean {
    const has = (flag: string) => argv.some((a) => a === flag || a.startsWith(`${flag}=`));
    return !has("--no-findings") && !has("--help") && !has("-h") && (has("--stack") || has("--state"));
}

const isGraphCommand = require.main?.filename === path.resolve(__dirname, "..", "graph.ts");

export const earlyPolicyPack: PolicyPackProcess | undefined =
    isGraphCommand && wantsPolicyPack(process.argv.slice(2)) ? spawnPolicyPack(POLICY_PACK_DIR) : undefined;

// Where the project's parts are, for the offline tools.
import * as path from "path";

export const PROJECT_ROOT = path.resolve(__dirname, "..");
export const POLICY_PACK_DIR = path.join(PROJECT_ROOT, "policies");
export const policyConfigFor = (stack: string): string => path.join(POLICY_PACK_DIR, "config", `${stack}.json`);

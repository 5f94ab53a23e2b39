import * as pulumi from "@pulumi/pulumi";
import { CONFIG_NAMESPACE, RawConfig, StackConfig, parseStackConfig } from "./stackConfig";

/** The raw values of this project's config namespace, as the engine passed them. */
export function rawProjectConfig(): RawConfig {
    const all = pulumi.runtime.allConfig();
    const raw: Record<string, string> = {};
    for (const [key, value] of Object.entries(all)) {
        if (key.startsWith(`${CONFIG_NAMESPACE}:`)) raw[key] = value;
    }
    return raw;
}

/** The config keys the engine handed over as secrets (the runtime's own record of them). */
export function engineSecretKeys(raw: RawConfig): Set<string> {
    // isConfigSecret is marked internal in @pulumi/pulumi's typings, though exported at run time.
    const runtime = pulumi.runtime as unknown as { isConfigSecret(key: string): boolean };
    return new Set(Object.keys(raw).filter((k) => runtime.isConfigSecret(k)));
}

/** Reads and validates the stack config; throws before any resource is registered. */
export function loadStackConfig(now: Date = new Date()): StackConfig {
    const raw = rawProjectConfig();
    return parseStackConfig(raw, now, engineSecretKeys(raw));
}

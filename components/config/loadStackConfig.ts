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

/** Reads and validates the stack config; throws before any resource is registered. */
export function loadStackConfig(now: Date = new Date()): StackConfig {
    return parseStackConfig(rawProjectConfig(), now);
}

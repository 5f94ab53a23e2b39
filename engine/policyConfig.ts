// A policy config file (`--policy-pack-config`) turned into what the engine
// sends the pack's Configure RPC, with the engine's rules: each policy starts
// from its own level and its schema's defaults, the pack's initial config
// goes on top, then the file (`all` first, then each policy); the result is
// validated against each policy's schema and refused with every error at once.
import Ajv from "ajv";
import { AnalyzerInfo, EnforcementLevel, PolicyConfig } from "./policyHost";

const VALID_LEVELS: EnforcementLevel[] = ["advisory", "mandatory", "remediate", "disabled"];

function level(name: string, v: unknown): EnforcementLevel {
    if (typeof v !== "string") throw new Error(`parsing enforcement level for "${name}": ${JSON.stringify(v)} is not a valid enforcement level; must be a string`);
    if (!VALID_LEVELS.includes(v as EnforcementLevel)) throw new Error(`parsing enforcement level for "${name}": "${v}" is not a valid enforcement level (allowed: ${VALID_LEVELS.join(", ")})`);
    return v as EnforcementLevel;
}

/** A policy config file's content, parsed: per policy (or `all`) a level and properties. */
export function parsePolicyConfigFile(text: string): Record<string, PolicyConfig> {
    if (text.trim() === "") return {};
    const raw = JSON.parse(text) as unknown;
    if (typeof raw !== "object" || raw === null || Array.isArray(raw)) throw new Error("a policy config file is a JSON object keyed by policy name");
    const out: Record<string, PolicyConfig> = {};
    for (const [name, v] of Object.entries(raw as Record<string, unknown>)) {
        if (typeof v === "string") out[name] = { enforcementLevel: level(name, v) };
        else if (typeof v === "object" && v !== null && !Array.isArray(v)) {
            const { enforcementLevel, ...properties } = v as Record<string, unknown>;
            const c: PolicyConfig = { ...(enforcementLevel !== undefined ? { enforcementLevel: level(name, enforcementLevel) } : {}), ...(Object.keys(properties).length ? { properties } : {}) };
            if (c.enforcementLevel || c.properties) out[name] = c;
        } else throw new Error(`parsing "${name}": ${JSON.stringify(v)} is not a valid value; must be a string or object`);
    }
    return out;
}

function apply(result: Record<string, PolicyConfig>, given: Record<string, PolicyConfig>): Record<string, PolicyConfig> {
    const out = { ...result };
    const all = given.all?.enforcementLevel;
    if (all) for (const k of Object.keys(out)) out[k] = { ...out[k], enforcementLevel: all };
    for (const [name, c] of Object.entries(given)) {
        const prev = out[name] ?? {};
        out[name] = {
            enforcementLevel: c.enforcementLevel ?? prev.enforcementLevel,
            properties: c.properties || prev.properties ? { ...(prev.properties ?? {}), ...(c.properties ?? {}) } : undefined,
        };
    }
    return out;
}

/** A value as a message shows it: policy config holds no secrets, but a long value is cut. */
const shown = (v: unknown): string => {
    const text = JSON.stringify(v) ?? String(v);
    return text.length > 60 ? `${text.slice(0, 40)}... (${text.length} characters)` : text;
};

/**
 * What Configure receives, or one error listing every problem, each naming
 * the policy, the property and its value, under the name of the file the
 * config came from (`source`). Properties a policy does not declare are
 * refused: the schemas the pack declares do not forbid them (no
 * additionalProperties) and no policy reads them, so a misspelt limit would
 * silently leave the default in force.
 */
export function reconcilePolicyConfig(info: AnalyzerInfo, given: Record<string, PolicyConfig>, source = "the policy config"): Record<string, PolicyConfig> {
    let result: Record<string, PolicyConfig> = {};
    for (const p of info.policies) {
        const defaults = Object.entries(p.configSchema?.properties ?? {}).filter(([, s]) => "default" in s);
        result[p.name] = { enforcementLevel: p.enforcementLevel, properties: defaults.length ? Object.fromEntries(defaults.map(([k, s]) => [k, s.default])) : undefined };
    }
    result = apply(result, info.initialConfig);
    result = apply(result, given);
    const ajv = new Ajv({ allErrors: true, strict: false, verbose: true });
    const errors: string[] = [];
    if (given.all?.properties) errors.push(`all: takes an enforcement level only, not properties (${Object.keys(given.all.properties).join(", ")}); set them under the policy they belong to`);
    for (const p of info.policies) {
        const declared = Object.keys(p.configSchema?.properties ?? {});
        const undeclared = Object.keys(given[p.name]?.properties ?? {}).filter((k) => !declared.includes(k));
        for (const k of undeclared) {
            errors.push(`${p.name}.${k} is not a property of ${p.name}; ${declared.length ? `its properties: ${declared.join(", ")}` : "it takes an enforcement level only"}`);
        }
        if (!p.configSchema) continue;
        const schema = { type: "object", properties: p.configSchema.properties, ...(p.configSchema.required.length ? { required: p.configSchema.required } : {}) };
        const validate = ajv.compile(schema);
        if (!validate(result[p.name]?.properties ?? {})) {
            for (const e of validate.errors ?? []) {
                const property = e.instancePath.slice(1).replace(/\//g, ".");
                errors.push(property ? `${p.name}.${property} is ${shown(e.data)}; it ${e.message}` : `${p.name}: ${e.message}`);
            }
        }
    }
    if (errors.length) throw new Error(`${source}: does not fit the policy pack's schemas:\n  ${errors.join("\n  ")}`);
    return result;
}

/** Policy names a config file sets that the pack does not have: the engine ignores them, so a typo silently leaves a policy at its default. */
export function unknownPolicies(info: AnalyzerInfo, given: Record<string, PolicyConfig>): string[] {
    const known = new Set(info.policies.map((p) => p.name));
    return Object.keys(given).filter((n) => n !== "all" && !known.has(n));
}

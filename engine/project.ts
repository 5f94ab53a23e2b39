// Reads Pulumi.yaml and Pulumi.<stack>.yaml the way the Pulumi CLI hands
// config to a program: project defaults first, stack values over them, every
// value a string (lists and objects as JSON), each checked against the type
// the project declares.
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { SECRET_KEYS } from "../components/config/keys";
import { nearestNames } from "../components/config/stackConfig";
import { readFailure } from "./files";

export interface ProjectConfigSchemaEntry {
    readonly type?: "string" | "integer" | "boolean" | "array";
    readonly default?: unknown;
    readonly secret?: boolean;
    readonly description?: string;
}

export interface Project {
    readonly name: string;
    readonly dir: string;
    readonly main: string;
    readonly config: Readonly<Record<string, ProjectConfigSchemaEntry>>;
}

export interface StackConfigValues {
    /** Fully qualified key ("project:key") to the string the program reads. */
    readonly values: Record<string, string>;
    /** Keys whose values are secrets. */
    readonly secretKeys: string[];
}

/** YAML from a file; a syntax error names the file, line and column (the yaml package's message carries them). */
function readYamlFile(file: string): unknown {
    let text: string;
    try {
        text = fs.readFileSync(file, "utf8");
    } catch (e) {
        throw new Error(`${file}: cannot read it: ${readFailure(e)}`);
    }
    try {
        return YAML.parse(text) as unknown;
    } catch (e) {
        throw new Error(`${file}: not valid YAML: ${(e as Error).message}`);
    }
}

const isMapping = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

export function loadProject(dir: string): Project {
    const file = path.join(dir, "Pulumi.yaml");
    const doc = readYamlFile(file);
    if (!isMapping(doc) || typeof doc.name !== "string" || !doc.name) throw new Error(`${file}: no project name`);
    if (doc.config !== undefined && doc.config !== null && !isMapping(doc.config)) throw new Error(`${file}: config must be a mapping of key to declaration`);
    return { name: doc.name, dir, main: path.join(dir, typeof doc.main === "string" ? doc.main : "index.ts"), config: (doc.config ?? {}) as Record<string, ProjectConfigSchemaEntry> };
}

/**
 * Config namespaces besides the project's that a stack may rightly set: the
 * engine's own (`pulumi:tags`, ...) and those of the providers this program
 * uses. Any other prefix reaches nothing the program reads.
 */
export const PROVIDER_NAMESPACES: readonly string[] = ["kubernetes", "pulumi", "random", "tls"];

/**
 * A warning for a key whose prefix is neither the project's nor a provider's:
 * the Pulumi CLI hands it over and the program never reads it, so a typo in
 * the prefix (`spinnaker-mtl:namespace`) silently leaves the default in force.
 * Only the offline commands can say so; the program under the Pulumi CLI reads
 * its own namespace only.
 */
function foreignPrefixWarning(project: string, key: string, where: string): string | undefined {
    const colon = key.indexOf(":");
    const prefix = key.slice(0, colon);
    if (prefix === project || PROVIDER_NAMESPACES.includes(prefix)) return undefined;
    const meant = nearestNames(prefix, [project, ...PROVIDER_NAMESPACES]);
    return (
        `warning: ${where}: ${key} is read by nothing: its prefix ${prefix} is neither this project's (${project}) nor a provider's (${PROVIDER_NAMESPACES.join(", ")})` +
        (meant.length ? `; did you mean ${meant[0]}:${key.slice(colon + 1)}?` : "; the program ignores it")
    );
}

/** A config key with the project's prefix, as `pulumi config set` qualifies a bare key. */
export const qualify = (project: string, key: string): string => (key.includes(":") ? key : `${project}:${key}`);

function asConfigString(value: unknown): string {
    return typeof value === "string" ? value : JSON.stringify(value);
}

function checkType(key: string, entry: ProjectConfigSchemaEntry, value: unknown, where: string): string | undefined {
    const t = entry.type;
    if (!t) return undefined;
    const ok =
        t === "string" ? typeof value === "string"
        : t === "integer" ? (typeof value === "number" && Number.isInteger(value)) || (typeof value === "string" && /^-?[0-9]+$/.test(value))
        : t === "boolean" ? typeof value === "boolean" || value === "true" || value === "false"
        : Array.isArray(value) || (typeof value === "string" && isJsonArray(value));
    // A secret's value is never shown, not even a wrong one.
    const shown = entry.secret ? "(secret value hidden)" : JSON.stringify(value);
    return ok ? undefined : `${where}: ${key} is ${shown}, but Pulumi.yaml declares it ${t}`;
}

function isJsonArray(s: string): boolean {
    try {
        return Array.isArray(JSON.parse(s));
    } catch {
        return false;
    }
}

export interface StackConfigReading extends StackConfigValues {
    /** Problems Pulumi would refuse the stack for (types, encrypted values, file shape): every one, not the first. */
    readonly problems: string[];
    /** Things worth saying that do not stop a run (a secret given with --config). */
    readonly warnings: string[];
}

/**
 * The config a program sees for a stack, with every problem found rather than
 * thrown. `overrides` stand in for `pulumi config set` (bare keys get the
 * project prefix), including for secure values this engine cannot decrypt;
 * `secretOverrides` names the overrides that are secrets (--secret-file,
 * --secret-env). An empty stack file is a stack with no config of its own:
 * every default of Pulumi.yaml applies, as with the Pulumi CLI.
 */
export function readStackConfig(project: Project, stack: string, overrides: Readonly<Record<string, string>> = {}, secretOverrides: readonly string[] = []): StackConfigReading {
    const file = path.join(project.dir, `Pulumi.${stack}.yaml`);
    if (!fs.existsSync(file)) throw new Error(`no stack ${stack}: ${file} does not exist (create it, even empty, to use the defaults of Pulumi.yaml)`);
    const where = path.basename(file);
    const doc = readYamlFile(file) ?? {};
    if (!isMapping(doc)) throw new Error(`${file}: a stack file is a mapping (config: ...), not ${Array.isArray(doc) ? "a list" : JSON.stringify(doc)}`);
    const stackConfig = doc.config ?? {};
    if (!isMapping(stackConfig)) throw new Error(`${file}: config must be a mapping of key to value`);

    const values: Record<string, string> = {};
    const secretKeys: string[] = [];
    const problems: string[] = [];
    const warnings: string[] = [];
    const schema = new Map(Object.entries(project.config).map(([k, v]) => [qualify(project.name, k), v]));
    const given = new Map(Object.entries(overrides).map(([k, v]) => [qualify(project.name, k), v]));
    const givenSecret = new Set(secretOverrides.map((k) => qualify(project.name, k)));
    // Secret by Pulumi.yaml, or by the program's own list: Pulumi.yaml cannot mark an
    // optional key secret (its plain default "" would then be refused by the CLI).
    const isSecret = (key: string, entry: ProjectConfigSchemaEntry | undefined) => entry?.secret === true || (key.startsWith(`${project.name}:`) && SECRET_KEYS.has(key.slice(project.name.length + 1)));

    for (const [key, entry] of schema) {
        if (entry.default !== undefined) values[key] = asConfigString(entry.default);
        if (isSecret(key, entry)) secretKeys.push(key);
    }
    for (const [rawKey, value] of Object.entries(stackConfig)) {
        const key = qualify(project.name, rawKey);
        const foreign = foreignPrefixWarning(project.name, key, where);
        if (foreign) warnings.push(foreign);
        if (given.has(key)) continue;
        if (isMapping(value) && "secure" in value) {
            problems.push(`${where}: ${key} is encrypted for the Pulumi CLI, which this offline engine cannot decrypt; give its value with --secret-file ${key}=<file> (or --secret-env ${key}=<VAR>)`);
            continue;
        }
        const entry = schema.get(key);
        if (entry) {
            const problem = checkType(key, entry, value, where);
            if (problem) problems.push(problem);
            if (isSecret(key, entry)) problems.push(`${where}: ${key} is a secret but stored in plain text; use pulumi config set --secret`);
        }
        values[key] = asConfigString(value);
    }
    for (const [key, value] of given) {
        const foreign = foreignPrefixWarning(project.name, key, "--config");
        if (foreign) warnings.push(foreign);
        const entry = schema.get(key);
        if (entry) {
            const problem = checkType(key, entry, value, "--config");
            if (problem) problems.push(problem);
        }
        values[key] = value;
        if ((isSecret(key, entry) || givenSecret.has(key)) && !secretKeys.includes(key)) secretKeys.push(key);
        if (isSecret(key, entry) && !givenSecret.has(key)) {
            warnings.push(`warning: ${key} is a secret, but --config put it on the command line (npm echoes the line; shells keep history): use --secret-file ${key}=<file> or --secret-env ${key}=<VAR>`);
        }
    }
    // The Pulumi CLI refuses a stack that leaves a key Pulumi.yaml declares without a default
    // unset ("Stack '<name>' is missing configuration value(s)", sdk/v3 workspace/config.go);
    // so does this engine, so that a stack it runs is one the CLI runs too.
    for (const [key, entry] of schema) {
        if (entry.default === undefined && values[key] === undefined) {
            problems.push(`${where}: ${key} is not set, and Pulumi.yaml declares it without a default: the Pulumi CLI refuses to run the stack ("Stack '${stack}' is missing configuration value"); set it, or give it a default`);
        }
    }
    return { values, secretKeys, problems, warnings };
}

/** Like readStackConfig, but any problem throws (all of them in one message). */
export function loadStackConfig(project: Project, stack: string, overrides: Readonly<Record<string, string>> = {}, secretOverrides: readonly string[] = []): StackConfigValues {
    const r = readStackConfig(project, stack, overrides, secretOverrides);
    if (r.problems.length) throw new Error(r.problems.join("\n"));
    return { values: r.values, secretKeys: r.secretKeys };
}

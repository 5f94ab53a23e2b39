// Reads Pulumi.yaml and Pulumi.<stack>.yaml the way the Pulumi CLI hands
// config to a program: project defaults first, stack values over them, every
// value a string (lists and objects as JSON), each checked against the type
// the project declares.
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";

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

export function loadProject(dir: string): Project {
    const file = path.join(dir, "Pulumi.yaml");
    const doc = YAML.parse(fs.readFileSync(file, "utf8")) as { name?: string; main?: string; config?: Record<string, ProjectConfigSchemaEntry> };
    if (!doc?.name) throw new Error(`${file}: no project name`);
    return { name: doc.name, dir, main: path.join(dir, doc.main ?? "index.ts"), config: doc.config ?? {} };
}

const qualify = (project: string, key: string) => (key.includes(":") ? key : `${project}:${key}`);

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
        : Array.isArray(value);
    return ok ? undefined : `${where}: ${key} is ${JSON.stringify(value)}, but Pulumi.yaml declares it ${t}`;
}

/**
 * The config a program sees for a stack. `overrides` (already qualified keys)
 * stand in for `pulumi config set`, including for secure values this engine
 * cannot decrypt.
 */
export function loadStackConfig(project: Project, stack: string, overrides: Record<string, string> = {}): StackConfigValues {
    const file = path.join(project.dir, `Pulumi.${stack}.yaml`);
    if (!fs.existsSync(file)) throw new Error(`no stack file ${file}`);
    const doc = (YAML.parse(fs.readFileSync(file, "utf8")) ?? {}) as { config?: Record<string, unknown> };
    const values: Record<string, string> = {};
    const secretKeys: string[] = [];
    const problems: string[] = [];
    const schema = new Map(Object.entries(project.config).map(([k, v]) => [qualify(project.name, k), v]));

    for (const [key, entry] of schema) {
        if (entry.default !== undefined) values[key] = asConfigString(entry.default);
        if (entry.secret) secretKeys.push(key);
    }
    for (const [rawKey, value] of Object.entries(doc.config ?? {})) {
        const key = qualify(project.name, rawKey);
        if (key in overrides) continue;
        if (value && typeof value === "object" && !Array.isArray(value) && "secure" in value) {
            problems.push(
                `${path.basename(file)}: ${key} is encrypted for the Pulumi CLI, which this offline engine cannot decrypt; pass its value with --config ${key}=...`,
            );
            continue;
        }
        const entry = schema.get(key);
        if (entry) {
            const problem = checkType(key, entry, value, path.basename(file));
            if (problem) problems.push(problem);
            if (entry.secret) problems.push(`${path.basename(file)}: ${key} is declared secret in Pulumi.yaml but stored in plain text; use pulumi config set --secret`);
        }
        values[key] = asConfigString(value);
    }
    for (const [key, value] of Object.entries(overrides)) {
        values[key] = value;
        if (schema.get(key)?.secret && !secretKeys.includes(key)) secretKeys.push(key);
    }
    if (problems.length) throw new Error(problems.join("\n"));
    return { values, secretKeys };
}

// Config given on the command line, as `pulumi config set` would set it:
//   --config KEY=VALUE        a plain value
//   --config-file KEY=PATH    a plain value read from a file (as `pulumi config set KEY < PATH`), e.g. a CA certificate
//   --secret-file KEY=PATH    a secret, read from a file (as `pulumi config set --secret KEY < PATH`)
//   --secret-env KEY=VAR      a secret, read from an environment variable (CI secrets)
// A secret never appears on the command line, so npm's echo of the script
// line, the shell history and CI logs show only its path or variable name.
// Keys may omit the project prefix (`clientAuth`), as with `pulumi config set`.
import { readInputFile } from "./files";

export const CONFIG_PAIR_FLAGS = ["config", "config-file", "secret-file", "secret-env"] as const;

export interface ConfigInputs {
    /** Keys (qualified or not) to values. */
    readonly values: Record<string, string>;
    /** The keys whose values came from --secret-file or --secret-env. */
    readonly secretKeys: string[];
}

export const CONFIG_FLAG_HELP: readonly (readonly [string, string])[] = [
    ["--config <key>=<value>", "a config value over the stack file's (repeatable; the project prefix is optional)"],
    ["--config-file <key>=<path>", "a config value read from a file, e.g. caCertPem=ca.crt (one trailing newline dropped)"],
    ["--secret-file <key>=<path>", "a secret config value read from a file, e.g. caKeyPem=ca.key (one trailing newline dropped)"],
    ["--secret-env <key>=<VAR>", "a secret config value read from an environment variable, e.g. caKeyPem=CA_KEY_PEM"],
];

/** A value read from a file or the environment, as `pulumi config set` reads stdin: one trailing newline is not part of it. */
const dropTrailingNewline = (s: string): string => s.replace(/\r?\n$/, "");

export function readConfigInputs(pairs: Readonly<Record<string, Readonly<Record<string, string>>>>, env: NodeJS.ProcessEnv = process.env): ConfigInputs {
    const values: Record<string, string> = { ...(pairs.config ?? {}) };
    const secretKeys: string[] = [];
    const take = (key: string, flag: string, value: string) => {
        if (key in values) throw new Error(`${key} is given twice (--config and ${flag}, or ${flag} twice): give it once`);
        values[key] = value;
        secretKeys.push(key);
    };
    for (const [key, file] of Object.entries(pairs["config-file"] ?? {})) {
        if (key in values) throw new Error(`${key} is given twice (--config and --config-file): give it once`);
        const value = dropTrailingNewline(readInputFile(file, `value for ${key} (--config-file)`));
        if (value === "") throw new Error(`${file}: the value for ${key} (--config-file) is empty`);
        values[key] = value;
    }
    for (const [key, file] of Object.entries(pairs["secret-file"] ?? {})) {
        const value = dropTrailingNewline(readInputFile(file, `secret for ${key} (--secret-file)`));
        if (value === "") throw new Error(`${file}: the secret for ${key} (--secret-file) is empty`);
        take(key, "--secret-file", value);
    }
    for (const [key, name] of Object.entries(pairs["secret-env"] ?? {})) {
        const value = env[name];
        if (value === undefined || value === "") throw new Error(`environment variable ${name} (the secret for ${key}, --secret-env) is ${value === undefined ? "not set" : "empty"}`);
        take(key, "--secret-env", dropTrailingNewline(value));
    }
    return { values, secretKeys };
}

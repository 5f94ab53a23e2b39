// The command-line flags of this project's npm scripts: `--name value`,
// `--switch`, and repeatable `--name key=value`. Errors name the flag and
// end with the script's usage line; a `key=value` flag's value is never
// repeated in an error (it may be a secret, or a path to one).

export interface FlagSpec {
    /** Flags that take one value; given twice, the last wins. */
    readonly values?: readonly string[];
    readonly switches?: readonly string[];
    /** Repeatable flags taking `<key>=<value>`. */
    readonly pairs?: readonly string[];
}

export interface Flags {
    readonly values: Record<string, string>;
    readonly switches: Set<string>;
    readonly pairs: Record<string, Record<string, string>>;
}

/** A usage error: the command exits 2 and prints it with the usage line. */
export class UsageError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "UsageError";
    }
}

export function parseFlags(argv: readonly string[], spec: FlagSpec, usage: string): Flags {
    const flags: Flags = { values: {}, switches: new Set(), pairs: Object.fromEntries((spec.pairs ?? []).map((p) => [p, {}])) };
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        const value = () => {
            const v = argv[++i];
            if (v === undefined || v.startsWith("--")) throw new UsageError(`${a} needs a value\n${usage}`);
            return v;
        };
        const name = a.replace(/^--/, "");
        if (a.startsWith("--") && spec.values?.includes(name)) flags.values[name] = value();
        else if (a.startsWith("--") && spec.switches?.includes(name)) flags.switches.add(name);
        else if (a.startsWith("--") && spec.pairs?.includes(name)) {
            const kv = value();
            const eq = kv.indexOf("=");
            // Only the key part is shown: the rest may be a secret typed in the wrong place.
            if (eq < 1) throw new UsageError(`${a} takes <key>=<value>, got ${eq === 0 ? "no key" : `${JSON.stringify(kv.slice(0, 40).split(/\s/)[0])} with no "="`}\n${usage}`);
            flags.pairs[name][kv.slice(0, eq)] = kv.slice(eq + 1);
        } else throw new UsageError(`unknown argument ${JSON.stringify(a)}\n${usage}`);
    }
    return flags;
}

// The command-line flags of this project's npm scripts: `--name value`,
// `--switch`, and repeatable `--name key=value`. Errors name the flag and
// end with the script's usage line.

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

export function parseFlags(argv: readonly string[], spec: FlagSpec, usage: string): Flags {
    const flags: Flags = { values: {}, switches: new Set(), pairs: Object.fromEntries((spec.pairs ?? []).map((p) => [p, {}])) };
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        const value = () => {
            const v = argv[++i];
            if (v === undefined || v.startsWith("--")) throw new Error(`${a} needs a value\n${usage}`);
            return v;
        };
        const name = a.replace(/^--/, "");
        if (a.startsWith("--") && spec.values?.includes(name)) flags.values[name] = value();
        else if (a.startsWith("--") && spec.switches?.includes(name)) flags.switches.add(name);
        else if (a.startsWith("--") && spec.pairs?.includes(name)) {
            const kv = value();
            const eq = kv.indexOf("=");
            if (eq < 1) throw new Error(`${a} takes <key>=<value>, got ${JSON.stringify(kv)}`);
            flags.pairs[name][kv.slice(0, eq)] = kv.slice(eq + 1);
        } else throw new Error(`unknown argument ${JSON.stringify(a)}\n${usage}`);
    }
    return flags;
}

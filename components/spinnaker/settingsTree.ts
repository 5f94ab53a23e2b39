// The one source of truth for Spinnaker configuration: per service, a tree of
// settings whose leaves are plain values or references to a key of a
// Kubernetes Secret. The Operator patch and the Halyard files are both
// renderings of these trees (operatorPatch.ts, halyard.ts); neither holds a
// secret value.

/** A value read from a key of a Kubernetes Secret in Spinnaker's namespace. */
export interface SecretRef {
    readonly secret: string;
    readonly key: string;
    /** file: the service reads a path (keystores, PEM files); string: it reads the value (passwords, URLs). */
    readonly as: "file" | "string";
}

export type SettingValue = string | number | boolean | SecretRef | readonly SettingValue[] | SettingsTree;
export interface SettingsTree {
    readonly [key: string]: SettingValue;
}

export const secretFile = (secret: string, key: string): SecretRef => ({ secret, key, as: "file" });
export const secretString = (secret: string, key: string): SecretRef => ({ secret, key, as: "string" });

export function isSecretRef(v: unknown): v is SecretRef {
    if (!v || typeof v !== "object" || Array.isArray(v)) return false;
    const o = v as Record<string, unknown>;
    return Object.keys(o).length === 3 && typeof o.secret === "string" && typeof o.key === "string" && (o.as === "file" || o.as === "string");
}

const isTree = (v: SettingValue | undefined): v is SettingsTree => !!v && typeof v === "object" && !Array.isArray(v) && !isSecretRef(v);

/**
 * Deep-merges trees. Two sources setting the same leaf to different values is
 * a bug in this program (each setting has one owner), so it throws, naming the
 * path.
 */
export function mergeTrees(...trees: readonly SettingsTree[]): SettingsTree {
    const merge = (a: SettingsTree, b: SettingsTree, path: string): SettingsTree => {
        const out: Record<string, SettingValue> = { ...a };
        for (const [k, v] of Object.entries(b)) {
            const here = path ? `${path}.${k}` : k;
            const existing = out[k];
            if (existing === undefined) out[k] = v;
            else if (isTree(existing) && isTree(v)) out[k] = merge(existing, v, here);
            else if (JSON.stringify(existing) !== JSON.stringify(v)) throw new Error(`settings conflict at ${here}: ${JSON.stringify(existing)} vs ${JSON.stringify(v)}`);
        }
        return out;
    };
    return trees.reduce((acc, t) => merge(acc, t, ""), {} as SettingsTree);
}

/** Every secret reference in a tree, with its dotted path, in key order. */
export function secretRefs(tree: SettingsTree, prefix = ""): { path: string; ref: SecretRef }[] {
    const out: { path: string; ref: SecretRef }[] = [];
    const walk = (v: SettingValue, path: string) => {
        if (isSecretRef(v)) out.push({ path, ref: v });
        else if (Array.isArray(v)) v.forEach((x, i) => walk(x, `${path}[${i}]`));
        else if (isTree(v)) for (const k of Object.keys(v).sort()) walk(v[k], path ? `${path}.${k}` : k);
    };
    walk(tree, prefix);
    return out;
}

/** The tree with every secret reference replaced by what `render` returns for it. */
export function mapSecretRefs(tree: SettingsTree, render: (ref: SecretRef, path: string) => SettingValue): SettingsTree {
    const map = (v: SettingValue, path: string): SettingValue => {
        if (isSecretRef(v)) return render(v, path);
        if (Array.isArray(v)) return v.map((x, i) => map(x, `${path}[${i}]`));
        if (isTree(v)) return Object.fromEntries(Object.keys(v).sort().map((k) => [k, map(v[k], path ? `${path}.${k}` : k)]));
        return v;
    };
    return map(tree, "") as SettingsTree;
}

/** The value at a dotted path (keys may themselves contain dots only if quoted by the caller's own split). */
export function getPath(tree: SettingsTree, path: readonly string[]): SettingValue | undefined {
    let v: SettingValue | undefined = tree;
    for (const k of path) {
        if (!isTree(v)) return undefined;
        v = v[k];
    }
    return v;
}

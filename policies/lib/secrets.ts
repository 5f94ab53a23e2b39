// Recognising secret material in places that are not secret. Findings name
// where the material is and what kind it is, never the value itself: policy
// messages end up in CI logs and PR comments.

/** A PEM private key of any flavour (PKCS#8, PKCS#1, SEC1, encrypted, OpenSSH). */
const PEM_PRIVATE_KEY = /-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----/;

export const containsPrivateKey = (text: string): boolean => PEM_PRIVATE_KEY.test(text);

/**
 * Names that hold passwords or key material: `password`, `keyStorePassword`,
 * `key-store-password`, `PRIVATE_KEY`, `passphrase`, and Redis's
 * `requirepass`, `masterauth`, `tls-key-file-pass`.
 */
const SENSITIVE_NAME = /((^|[-_.])pass|pass(word|wd|phrase)|requirepass|masterauth|private[-_.]?key|api[-_.]?key|token)$/i;

export const isSensitiveName = (name: string): boolean => SENSITIVE_NAME.test(name.trim());

/**
 * A value that points at a secret rather than being one: Spinnaker's secret
 * engines (`encrypted:`, `encryptedFile:`), Spring and shell placeholders
 * (`${...}`, `$(...)`), and the empty string.
 */
export const isReference = (value: string): boolean => {
    const v = value.trim().replace(/^["']|["']$/g, "");
    return v === "" || /^encrypted(File)?:/.test(v) || /^\$\{.+\}$/.test(v) || /^\$\(.+\)$/.test(v);
};

// `name: value`, `name=value` and `name value` (redis.conf) lines; `-Dname=value` JVM options.
const ASSIGNMENT = /^\s*-?\s*([A-Za-z0-9_.\-[\]]+)\s*(?:[:=]\s*|\s+)(.*?)\s*$/;
const JVM_PROPERTY = /-D([A-Za-z0-9_.-]+)=("[^"]*"|'[^']*'|\S*)/g;

/**
 * What secret material a text holds, one finding per kind and place:
 * `a PEM private key`, `a password in line 3 (key-store-password)`,
 * `a password in JVM option -Djavax.net.ssl.keyStorePassword`.
 */
export function secretFindings(text: string): string[] {
    const found: string[] = [];
    if (containsPrivateKey(text)) found.push("a PEM private key");
    text.split(/\r?\n/).forEach((line, i) => {
        for (const m of line.matchAll(JVM_PROPERTY)) {
            if (isSensitiveName(m[1]) && !isReference(m[2])) found.push(`a password in JVM option -D${m[1]}`);
        }
        const a = ASSIGNMENT.exec(line.replace(JVM_PROPERTY, ""));
        if (a && isSensitiveName(a[1]) && !isReference(a[2]) && !line.trimStart().startsWith("#")) found.push(`a password in line ${i + 1} (${a[1]})`);
    });
    return found;
}

/** Walks a value, calling back for every string with its dotted path. */
export function eachString(v: unknown, visit: (path: string, key: string, value: string) => void, path = "", key = ""): void {
    if (typeof v === "string") visit(path, key, v);
    else if (Array.isArray(v)) v.forEach((x, i) => eachString(x, visit, `${path}[${i}]`, key));
    else if (typeof v === "object" && v !== null) for (const [k, x] of Object.entries(v)) eachString(x, visit, path ? `${path}.${k}` : k, k);
}

// The commands the Redis container runs: its start script and its probe.
// Both are plain shell so they work in the official Debian and Alpine images,
// and the tests run them as written against a real redis-server.
import * as crypto from "crypto";
import { REDIS_PATHS, REDIS_PORT } from "./redisConf";

export const REDIS_CONF_FILE = `${REDIS_PATHS.configDir}/redis.conf`;

/** Pod 0 is the primary; every other pod replicates from it (over TLS: tls-replication yes). */
export function redisStartScript(primaryHost: string): string {
    return [
        'ordinal="${HOSTNAME##*-}"',
        `if [ "$ordinal" = "0" ]; then exec redis-server ${REDIS_CONF_FILE}; fi`,
        `exec redis-server ${REDIS_CONF_FILE} --replicaof ${primaryHost} ${REDIS_PORT}`,
    ].join("\n");
}

/**
 * redis-cli to this pod's own Redis over TLS, bounded by `timeout` because
 * redis-cli 7.0 has no connect timeout of its own. The pod's certificate is
 * the client certificate (tls-auth-clients refuses anything less; a Redis at
 * `tls-auth-clients no` never asks for it), and Redis's certificate is
 * verified against the mounted CA.
 */
const redisCliTls = (timeoutSeconds: number): string => {
    const tls = REDIS_PATHS.tlsDir;
    return `timeout ${timeoutSeconds} redis-cli --tls --cacert ${tls}/ca.crt --cert ${tls}/tls.crt --key ${tls}/tls.key -h 127.0.0.1 -p ${REDIS_PORT}`;
};

/**
 * Readiness and liveness: a real TLS PING. Because it verifies the
 * certificate Redis serves, it is also the backstop of the reload sidecar:
 * a Redis still serving an expired certificate fails its liveness probe and
 * is restarted, which loads the files then mounted.
 */
export function redisProbeScript(timeoutSeconds: number): string {
    return `${redisCliTls(timeoutSeconds)} ping | grep -qx PONG`;
}

/** The reload sidecar's poll interval, in its environment so it can be read off the pod spec. */
export const TLS_RELOAD_INTERVAL_ENV = "TLS_RELOAD_INTERVAL_SECONDS";

/**
 * How often the reload sidecar looks at the mounted files. The kubelet
 * projects a renewed Secret into the pod on its periodic sync (about a
 * minute, plus its Secret cache), and cert-manager renews days ahead of
 * expiry (renewBeforeHours), so 30 s adds little to a delay that is already
 * a minute or two against a margin of days. A look costs three small reads
 * and a checksum; redis-cli runs only when the files changed.
 */
export const TLS_RELOAD_INTERVAL_SECONDS = 30;

/** How the reload sidecar's log line after a reload starts; the digest of what it loaded follows "sha256 ". */
export const TLS_RELOADED_PREFIX = "tls-reload: Redis reloaded";

/** The digest a reload logs for these files: SHA-256 of tls.crt then ca.crt, as the sidecar's `cat | sha256sum` reads them. */
export const tlsReloadedDigest = (tlsCrt: Buffer, caCrt: Buffer): string => crypto.createHash("sha256").update(tlsCrt).update(caCrt).digest("hex");

/** The digest of the last reload a tls-reload log records; undefined when it records none. */
export function lastTlsReload(log: string): string | undefined {
    const hits = [...log.matchAll(new RegExp(`^${TLS_RELOADED_PREFIX} .*; tls\\.crt\\+ca\\.crt sha256 ([0-9a-f]{64})$`, "gm"))];
    return hits.length > 0 ? hits[hits.length - 1][1] : undefined;
}

/**
 * The reload sidecar's loop. Redis reads tls-cert-file, tls-key-file and
 * tls-ca-cert-file only at start and on CONFIG SET, and CONFIG SET with the
 * unchanged paths rebuilds its TLS context from the files (Redis marks these
 * settings volatile for this; 7.0.0 alone lacked it): new handshakes get the
 * new certificate while open connections, replication links included, keep
 * theirs. Kubernetes swaps a Secret volume's `..data` symlink atomically,
 * but the three files are still read one by one, here and by Redis: so a
 * checksum is taken before CONFIG SET and counts as applied only once Redis
 * answered OK. A read that straddled a swap just differs from the next one,
 * which reloads again. A mismatched certificate and key never reach Redis's
 * context: redis-cli, presenting the same files, refuses them itself (and
 * Redis would refuse CONFIG SET), so Redis keeps its current certificate and
 * the next look tries again. The first
 * look always reloads, so files renewed while Redis was starting are not
 * missed. After each reload it logs the SHA-256 of tls.crt and ca.crt read
 * together (public files; never tls.key, nor a checksum that covers it), so
 * the rotation status can tell from the log, through the API server, which
 * certificate and CAs Redis loaded (tlsReloadedDigest). A failure logs
 * redis-cli's reply only.
 */
export function redisTlsReloadScript(): string {
    const tls = REDIS_PATHS.tlsDir;
    const files = `${tls}/tls.crt ${tls}/tls.key ${tls}/ca.crt`;
    const configSet = `CONFIG SET tls-cert-file ${tls}/tls.crt tls-key-file ${tls}/tls.key tls-ca-cert-file ${tls}/ca.crt`;
    return [
        // Never a busy loop, should the variable go missing from the pod spec.
        `interval="\${${TLS_RELOAD_INTERVAL_ENV}:-${TLS_RELOAD_INTERVAL_SECONDS}}"`,
        // As PID 1 the shell ignores SIGTERM unless trapped, which would hold every
        // pod deletion for the whole grace period; `wait` lets the trap run at once.
        "trap 'exit 0' TERM INT",
        "applied=",
        "while :; do",
        `  current="$(cat ${files} | cksum)"`,
        '  if [ "$current" != "$applied" ]; then',
        // Read before CONFIG SET, like the checksum: a swap in between differs at the next look, which reloads and logs again.
        `    public="$(cat ${tls}/tls.crt ${tls}/ca.crt | sha256sum | cut -d ' ' -f 1)"`,
        `    reply="$(${redisCliTls(10)} ${configSet} 2>&1)"`,
        '    if [ "$reply" = OK ]; then',
        '      applied="$current"',
        `      echo "${TLS_RELOADED_PREFIX} tls-cert-file, tls-key-file and tls-ca-cert-file; tls.crt+ca.crt sha256 $public"`,
        "    else",
        // redis-cli prints a failed connection twice: one line is enough.
        `      echo "tls-reload: reload not done, retrying in \${interval}s: $(echo "$reply" | head -n 1)" >&2`,
        "    fi",
        "  fi",
        '  sleep "$interval" &',
        '  wait "$!"',
        "done",
    ].join("\n");
}

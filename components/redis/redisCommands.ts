// The commands the Redis container runs: its start script and its probe.
// Both are plain shell so they work in the official Debian and Alpine images,
// and the tests run them as written against a real redis-server.
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
 * Readiness and liveness: a real TLS PING with the pod's own certificate as
 * the client certificate (tls-auth-clients refuses anything less), bounded by
 * `timeout` because redis-cli 7.0 has no connect timeout of its own.
 */
export function redisProbeScript(timeoutSeconds: number): string {
    const tls = REDIS_PATHS.tlsDir;
    return (
        `timeout ${timeoutSeconds} redis-cli --tls --cacert ${tls}/ca.crt --cert ${tls}/tls.crt --key ${tls}/tls.key ` +
        `-h 127.0.0.1 -p ${REDIS_PORT} ping | grep -qx PONG`
    );
}

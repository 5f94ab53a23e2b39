// The pack's rules, in the order a report lists them. The entry point and the
// tests both take this list, so what is tested is what is served.
import { Policies } from "@pulumi/policy";
import { certificateUsages } from "./certificates/certificateUsages";
import { certificateValidity } from "./certificates/certificateValidity";
import { keyStrength } from "./certificates/keyStrength";
import { keystoreProfile } from "./certificates/keystoreProfile";
import { destinationRuleTls } from "./istio/destinationRuleTls";
import { gatewayTls } from "./istio/gatewayTls";
import { peerAuthenticationCoverage } from "./istio/peerAuthenticationCoverage";
import { peerAuthenticationStrict } from "./istio/peerAuthenticationStrict";
import { sidecarInjection } from "./istio/sidecarInjection";
import { virtualServiceHosts } from "./istio/virtualServiceHosts";
import { redisTlsOnly } from "./redis/redisTlsOnly";
import { redisTlsReload } from "./redis/redisTlsReload";
import { noSecretsInConfigMaps } from "./secrets/noSecretsInConfigMaps";
import { noSecretsInEnv } from "./secrets/noSecretsInEnv";
import { noSecretsInStackOutputs } from "./secrets/noSecretsInStackOutputs";
import { clientAuthNeed } from "./spinnaker/clientAuthNeed";
import { clientAuthRequired } from "./spinnaker/clientAuthRequired";
import { redisUrls } from "./spinnaker/redisUrls";
import { secretReferences } from "./spinnaker/secretReferences";
import { serverSsl } from "./spinnaker/serverSsl";
import { tcpProbes } from "./spinnaker/tcpProbes";

export const PACK_NAME = "spinnaker-mtls";

export const POLICIES: Policies = [
    peerAuthenticationStrict,
    peerAuthenticationCoverage,
    destinationRuleTls,
    sidecarInjection,
    gatewayTls,
    virtualServiceHosts,
    serverSsl,
    clientAuthRequired,
    clientAuthNeed,
    tcpProbes,
    redisUrls,
    secretReferences,
    certificateUsages,
    keyStrength,
    certificateValidity,
    keystoreProfile,
    redisTlsOnly,
    redisTlsReload,
    noSecretsInConfigMaps,
    noSecretsInEnv,
    noSecretsInStackOutputs,
];

// Who calls whom among Spinnaker's services: the one table the graph draws its
// service-to-service edges from. An edge is drawn only when both ends are
// enabled in the stack; its port, scheme and TLS settings are then read from
// what the program rendered, never from here.
//
// Source of the main table: spinnaker.io, "Spinnaker Architecture Overview",
// section "System dependencies" (content/en/docs/reference/architecture/
// microservices-overview.md in spinnaker/spinnaker.io). Keel and Halyard are
// left out: this program secures neither.
//
// Calls that diagram leaves out but the services' own sources configure are
// added with their source named; so are Armory's Go services, which the
// open-source diagram does not show.
import type { ServiceName } from "../../lib/catalog/serviceCatalog";

export interface SpinnakerCall {
    readonly from: ServiceName;
    readonly to: ServiceName;
    /** Where the call is documented. */
    readonly source: string;
}

const ARCHITECTURE = "spinnaker.io Architecture Overview, System dependencies";
const ORCA_CONFIG = "orca's own orca-web/config/orca.yml (echo and igor endpoints)";
const FIAT_PROVIDERS = "fiat-roles resource providers (accounts from clouddriver, applications from front50, build services from igor)";
const DINGHY = "armory/dinghy: renders pipelines into front50 and orca, sends events to echo (docs/spinnaker.md)";
const PIPELINES_AS_CODE = "Armory Pipelines-as-Code: git webhooks reach dinghy through gate and echo";
const TERRAFORM = "Armory Terraform Integration: orca's Terraform stage runs in terraformer, which fetches artifacts through clouddriver";

const call = (from: ServiceName, to: ServiceName, source: string): SpinnakerCall => ({ from, to, source });

/**
 * Deck's calls to Gate come from the browser that runs Deck's code, not from
 * Deck's pod; the graph draws that edge separately (see model.ts).
 */
export const DECK_TO_GATE = call("deck", "gate", ARCHITECTURE);

export const SPINNAKER_CALLS: readonly SpinnakerCall[] = [
    call("gate", "clouddriver", ARCHITECTURE),
    call("gate", "echo", ARCHITECTURE),
    call("gate", "fiat", ARCHITECTURE),
    call("gate", "front50", ARCHITECTURE),
    call("gate", "igor", ARCHITECTURE),
    call("gate", "kayenta", ARCHITECTURE),
    call("gate", "orca", ARCHITECTURE),
    call("gate", "rosco", ARCHITECTURE),
    call("orca", "clouddriver", ARCHITECTURE),
    call("orca", "fiat", ARCHITECTURE),
    call("orca", "front50", ARCHITECTURE),
    call("orca", "kayenta", ARCHITECTURE),
    call("orca", "rosco", ARCHITECTURE),
    call("orca", "echo", ORCA_CONFIG),
    call("orca", "igor", ORCA_CONFIG),
    call("clouddriver", "fiat", ARCHITECTURE),
    call("front50", "fiat", ARCHITECTURE),
    call("echo", "orca", ARCHITECTURE),
    call("echo", "front50", ARCHITECTURE),
    call("igor", "echo", ARCHITECTURE),
    call("fiat", "clouddriver", FIAT_PROVIDERS),
    call("fiat", "front50", FIAT_PROVIDERS),
    call("fiat", "igor", FIAT_PROVIDERS),
    call("dinghy", "front50", DINGHY),
    call("dinghy", "orca", DINGHY),
    call("dinghy", "echo", DINGHY),
    call("echo", "dinghy", PIPELINES_AS_CODE),
    call("orca", "terraformer", TERRAFORM),
    call("terraformer", "clouddriver", TERRAFORM),
];

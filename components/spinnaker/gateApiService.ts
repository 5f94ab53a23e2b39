// Gate's client-certificate port as a Kubernetes Service. Without the ingress
// Gate has a second listener, `default.apiPort` 8085, where client
// certificates are required (serviceSettings.ts, GATE_API_PORT). The
// Operator makes a Service for it only when the SpinnakerService sets
// `spec.expose` (its x509 transform copies Gate's Service as `spin-gate-x509`
// onto the apiPort; armory/spinnaker-operator
// pkg/api/deploy/spindeploy/x509/transform.go), and Halyard makes none. So
// this program declares the way in itself: a ClusterIP Service on 8085 that
// selects Gate's pods as Gate's own Service does.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { managedLabels } from "../kubernetes/labels";
import { GATE_API_PORT } from "./serviceSettings";

export const GATE_API_SERVICE = "spin-gate-api";

/**
 * The labels Halyard and the Operator put on Gate's pods and select them by
 * in spin-gate (`app: spin`, `cluster: spin-<service>`).
 */
export const GATE_POD_SELECTOR: Readonly<Record<string, string>> = { app: "spin", cluster: "spin-gate" };

/** The Service's spec: pure, so the tests and the policy pack's fixtures can read it. */
export function gateApiServiceSpec(): k8s.types.input.core.v1.ServiceSpec {
    return {
        type: "ClusterIP",
        selector: { ...GATE_POD_SELECTOR },
        // Gate speaks its own TLS on this port: opaque TCP to a mesh (appProtocol), never HTTP.
        ports: [{ name: "https", port: GATE_API_PORT, targetPort: GATE_API_PORT, protocol: "TCP", appProtocol: "tcp" }],
    };
}

export interface GateApiServiceArgs {
    readonly namespace: string;
}

export class GateApiService extends pulumi.ComponentResource {
    static readonly TYPE = "spinnaker-mtls:spinnaker:GateApiService";

    /** The in-cluster URL of Gate's client-certificate port. */
    readonly url: pulumi.Output<string>;

    constructor(name: string, args: GateApiServiceArgs, opts?: pulumi.ComponentResourceOptions) {
        super(GateApiService.TYPE, name, {}, opts);
        const service = new k8s.core.v1.Service(
            `${name}-service`,
            { metadata: { name: GATE_API_SERVICE, namespace: args.namespace, labels: managedLabels("gate-api") }, spec: gateApiServiceSpec() },
            { parent: this },
        );
        this.url = pulumi.interpolate`https://${service.metadata.name}.${args.namespace}.svc:${GATE_API_PORT}`;
        this.registerOutputs({ url: this.url });
    }
}

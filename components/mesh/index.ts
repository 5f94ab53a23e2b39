export * from "./istioSpecs";
export * from "./istioMesh";
export * from "./istioIngress";

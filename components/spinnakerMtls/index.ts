export * from "./spinnakerMtls";
export * from "./spinnakerMtlsArgs";
export * from "./lastDeployedCaTrust";
export { observeLastDeployment } from "./rotationObservation";
export type { RotationObservation } from "./rotationObservation";
export type { CaTrust } from "../pki/caRotation";

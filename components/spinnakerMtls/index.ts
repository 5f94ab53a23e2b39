export * from "./spinnakerMtls";
export * from "./spinnakerMtlsArgs";
export * from "./lastDeployedCaTrust";
export type { CaTrust } from "../pki/caRotation";

// The component package's entry point: Pulumi's Node.js component host finds
// the ComponentResource classes this module exports, serves them to programs
// in any language, and infers their schema (args, outputs, enums) from the
// TypeScript source. Only SpinnakerMtls is exported: its parts are not a
// package's public surface.
export { SpinnakerMtls } from "../components/spinnakerMtls/spinnakerMtls";

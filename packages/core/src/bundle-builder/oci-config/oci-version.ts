/**
 * The `ociVersion` magikrun writes into config.json.
 *
 * "1.0.2", the runtime-spec release that both target runtimes implement:
 * - Debian's runc 1.1.5 is built against runtime-spec "1.0.2-dev" (`runc --version` says `spec:
 *   1.0.2-dev`) and does not check the field at all (tested: any string runs);
 * - youki's libcontainer 0.7 (oci-spec-rs 0.10) refuses anything that does not start with "1."
 *   (`InitContainerBuilder::validate_spec`: "Only 1.X.Y is supported"); generated documents were
 *   checked to load with oci-spec-rs 0.10's `Spec::load`.
 *
 * The documents use only 1.0.2 fields, plus `linux.seccomp.defaultErrnoRet` (1.1), which both
 * runtimes read and whose value (EPERM) is also the default both apply without it.
 *
 * @module bundle-builder/oci-config/oci-version
 */

/** The runtime-spec version written as `ociVersion`: "1.0.2". */
export const OCI_VERSION = '1.0.2';

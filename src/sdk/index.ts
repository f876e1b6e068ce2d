// tracee-sig/sdk: what a signature author imports. A signature is one module
// whose default export is `defineSignature({...})`; it reads events through
// the model's readers below and returns findings. Its tests use
// tracee-sig/testing (case files, runCase) with `{ signatures: [definition] }`.
export { defineSignature } from './signature.js';
export { Interner } from './interner.js';
export type {
  AnyDefinition,
  AdviceContext,
  ContainerState,
  Detector,
  Finding,
  JsonSchema,
  SchemaFormat,
  SignatureDefinition,
  SignatureServices,
} from './signature.js';
export type { DataSources, EventSelector, HostnameSource, Signal, SignatureMetadata } from '../model/signature.js';
export type { Event, EventValue, Origin, SockAddr, Timestamp, Workload } from '../model/event.js';
export { Severity } from '../model/event.js';
export { arg, comm, containerId, origin, sockaddrArg, stringArrayArg } from '../model/accessors.js';
export { addressKey } from '../model/address.js';

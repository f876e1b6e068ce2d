// The registry of shipped signatures: every host loads them from here.
import type { Signature } from '../src/model/signature.js';
import { K8sApiConnection, type K8sApiConnectionOptions } from './k8s_api_connection.js';

export interface SignatureOptions {
  k8s_api_connection?: K8sApiConnectionOptions;
}

export function builtinSignatures(options: SignatureOptions = {}): Signature[] {
  return [new K8sApiConnection(options.k8s_api_connection)];
}

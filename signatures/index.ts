// The registry of shipped signatures: every host loads them from here.
import type { AnyDefinition } from '../src/sdk/signature.js';
import k8sApiConnection from './k8s_api_connection.js';

export const BUILTIN_SIGNATURES: readonly AnyDefinition[] = [k8sApiConnection];

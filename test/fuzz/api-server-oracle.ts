// A real kube-apiserver as the oracle of what a Secret may hold: each Secret is created with a
// server-side dry run (nothing is stored) and the answer says whether the server accepts it.
import type { SecretObject } from '../../src/kube/kube-object.js';
import { sharedControlPlane } from '../support/control-plane/shared-control-plane.js';

export const ORACLE_NAMESPACE = 'fuzz-oracle';

export interface Verdict {
  accepted: boolean;
  status: number;
  /** The server's message on refusal. */
  message?: string;
}

export interface SecretOracle {
  judge(secret: SecretObject): Promise<Verdict>;
}

export async function apiServerOracle(): Promise<SecretOracle> {
  const cp = await sharedControlPlane();
  await cp.client.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ORACLE_NAMESPACE } });
  return {
    async judge(secret) {
      const body = { ...secret, apiVersion: 'v1', kind: 'Secret', metadata: { ...secret.metadata, namespace: ORACLE_NAMESPACE, ownerReferences: undefined } };
      const [status, text] = await cp.client.raw('POST', `/api/v1/namespaces/${ORACLE_NAMESPACE}/secrets?dryRun=All`, body);
      if (status === 201 || status === 200) return { accepted: true, status };
      let message: string | undefined;
      try {
        message = (JSON.parse(text) as { message?: string }).message;
      } catch {
        message = text.slice(0, 300);
      }
      if (status !== 422 && status !== 400 && status !== 413) throw new Error(`dry-run create answered ${status}: ${message}`);
      return { accepted: false, status, message };
    },
  };
}

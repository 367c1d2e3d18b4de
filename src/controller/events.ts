// Records Events for keyferry resources: best effort (an Event that cannot be written must
// not fail a sync), messages scrubbed, never a value.
import { scrubErrorText } from '../../providers/contract/index.js';
import type { ClusterApi, ResourceRef } from '../kube/cluster-api.js';
import { API_VERSION } from '../kube/resources.js';
import type { KubeObject } from '../kube/kube-object.js';

export interface EventLogger {
  warn(obj: object, msg: string): void;
}

export class EventRecorder {
  constructor(private readonly api: ClusterApi, private readonly logger: EventLogger) {}

  record(kind: ResourceRef['kind'], obj: KubeObject, type: 'Normal' | 'Warning', reason: string, message: string): void {
    const involved = { kind, apiVersion: API_VERSION, name: obj.metadata!.name!, namespace: obj.metadata?.namespace, uid: obj.metadata?.uid };
    this.api.createEvent({ involved, type, reason, message: scrubErrorText(message) }).catch((e: unknown) => {
      this.logger.warn({ kind, name: involved.name, namespace: involved.namespace, error: e instanceof Error ? e.message.split('\n')[0] : String(e) }, 'could not record Event');
    });
  }
}

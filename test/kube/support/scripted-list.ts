// A scripted paged list for ListWatch tests: one object, a new resourceVersion per list, and
// each call noted as 'list' in the requests the test compares.
import type { KubeList, KubeObject } from '../../../src/kube/kube-object.js';

export function scriptedList(requests: string[], firstResourceVersion = 10): { listAll: () => Promise<KubeList<KubeObject>>; nextResourceVersion: () => string } {
  let rv = firstResourceVersion;
  return {
    listAll: async () => {
      requests.push('list');
      return { metadata: { resourceVersion: String(++rv) }, items: [{ metadata: { name: 'a', namespace: 'ns', resourceVersion: '5' } }] };
    },
    nextResourceVersion: () => String(++rv),
  };
}

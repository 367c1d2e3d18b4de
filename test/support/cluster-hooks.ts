// Mocha root hooks (loaded with --require): stop the shared real control plane, if any suite
// started one, once the whole run is over.
import { stopSharedControlPlane } from './control-plane/shared-control-plane.js';

export const mochaHooks = {
  async afterAll(this: { timeout(ms: number): void }) {
    this.timeout(30_000);
    await stopSharedControlPlane();
  },
};

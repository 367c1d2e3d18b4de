// Writes in the real API server's audit log (JSON lines; the control plane records only the
// operator's ServiceAccount), read on from where the last call stopped: a check, per user, of
// the writes the benchmark attributes to the operator from the server's metrics.
import { open } from 'node:fs/promises';

const WRITE_VERBS = new Set(['create', 'update', 'patch', 'delete', 'deletecollection']);

export class AuditedWrites {
  private offset = 0;
  private writes = 0;

  constructor(private readonly path: string, private readonly username: string) {}

  /** Writes by `username` since the log began. */
  async count(): Promise<number> {
    let file;
    try {
      file = await open(this.path, 'r');
    } catch {
      return this.writes;
    }
    try {
      const size = (await file.stat()).size;
      if (size <= this.offset) return this.writes;
      const buf = Buffer.alloc(size - this.offset);
      await file.read(buf, 0, buf.length, this.offset);
      // Only whole lines; a line being written is read next time.
      const end = buf.lastIndexOf(0x0a);
      if (end < 0) return this.writes;
      this.offset += end + 1;
      for (const line of buf.subarray(0, end).toString('utf8').split('\n')) {
        if (!line) continue;
        const e = JSON.parse(line) as { stage?: string; verb?: string; user?: { username?: string } };
        if (e.stage === 'ResponseComplete' && e.user?.username === this.username && WRITE_VERBS.has(e.verb ?? '')) this.writes++;
      }
      return this.writes;
    } finally {
      await file.close();
    }
  }
}

// An error the local AWS endpoint answers with: HTTP status, AWS error code (`__type` in
// the JSON protocols, `Code` in STS's XML) and message.
export class AwsFault extends Error {
  constructor(readonly status: number, readonly type: string, message: string, readonly headers: Record<string, string> = {}) {
    super(message);
  }
}

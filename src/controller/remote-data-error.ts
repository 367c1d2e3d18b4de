// The remote values cannot make a valid Secret: a value that is not the encoding its
// decodingStrategy names, a key a template needs that the remote secret no longer has,
// keys or sizes the API server refuses. Unlike a SpecError this can be fixed remotely, so
// it is retried with backoff and on the refresh schedule while the last good version serves.
export class RemoteDataError extends Error {
  override readonly name = 'RemoteDataError';
}

export const isRemoteDataError = (e: unknown): e is RemoteDataError => e instanceof RemoteDataError;

// An ExternalSecret whose own spec is wrong. It gets one clear condition naming the field and
// is not retried until the spec changes: no retry could fix it.
export class SpecError extends Error {
  override readonly name = 'SpecError';
}

export const isSpecError = (e: unknown): e is SpecError => e instanceof SpecError;

/** A template's text does not parse: whatever the data, it cannot render. */
export class TemplateSyntaxError extends SpecError {}

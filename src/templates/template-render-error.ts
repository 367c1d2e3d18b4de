// A template that could not be rendered. Messages name the template key, the position in
// the template and the function that failed, never a value: the engine withholds what a
// function says about its input.
export type TemplateErrorKind =
  /** The template text does not parse (an unknown function, a syntax error). */
  | 'Parse'
  /** The template names a key the data lacks. */
  | 'MissingKey'
  /** A function failed on its input, or an action on its operand. */
  | 'Execution'
  /** The render ran past its time limit and was stopped. */
  | 'TimeLimit'
  /** The render wrote more than the output limit. */
  | 'OutputLimit'
  /** The engine itself is missing or stopped. */
  | 'Engine';

export class TemplateRenderError extends Error {
  override readonly name = 'TemplateRenderError';

  constructor(
    readonly kind: TemplateErrorKind,
    /** The output key whose template failed, when one did. */
    readonly key: string | undefined,
    message: string,
    /** For MissingKey: the data key the template named. */
    readonly missing?: string,
  ) {
    super(message);
  }
}

export const isTemplateRenderError = (e: unknown): e is TemplateRenderError => e instanceof TemplateRenderError;

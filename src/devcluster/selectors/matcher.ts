// A selector, parsed once per request and applied to each object.
import type { KubeObject } from '../resource-type.js';

export type Matcher = (obj: KubeObject) => boolean;

export const matchAll: Matcher = () => true;

export function both(a: Matcher, b: Matcher): Matcher {
  if (a === matchAll) return b;
  if (b === matchAll) return a;
  return (o) => a(o) && b(o);
}
